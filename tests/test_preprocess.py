import random

import cv2
import numpy as np
import pytest
from PIL import Image
from transformers import YolosImageProcessor
from transformers.models.yolos.image_processing_pil_yolos import get_size_with_aspect_ratio_yolos

from engines.errors import EngineError
from engines.preprocess import as_bgr_uint8, letterbox_shape, preprocess, yolos_resize_shape
from engines.settings import DetectorSettings


def test_resize_rule_equals_transformers_rule():
    rng = random.Random(0)
    cases = [(432, 768), (4999, 3999), (816, 816), (512, 864), (1000, 618), (17, 3000)]
    cases += [(rng.randint(16, 5000), rng.randint(16, 5000)) for _ in range(2000)]
    for size in [(816, 864), (512, 864), (800, 1333), (512, 1333)]:
        for h, w in cases:
            assert yolos_resize_shape(h, w, *size) == get_size_with_aspect_ratio_yolos((h, w), *size), (h, w, size)


def _processor_pixels(path, shortest, longest):
    processor = YolosImageProcessor(size={"shortest_edge": shortest, "longest_edge": longest})
    return processor(images=Image.open(path).convert("RGB"), return_tensors="np")["pixel_values"][0]


@pytest.mark.parametrize("size", [(816, 864), (512, 864)])
def test_pixels_match_yolos_image_processor(size, street_photo, fashionpedia_photos):
    for path in [street_photo, *fashionpedia_photos]:
        expected = _processor_pixels(path, *size)
        ours = preprocess([cv2.imread(str(path))], DetectorSettings(size=size)).pixel_values[0]
        assert ours.shape == expected.shape
        # Same resampler (Pillow bilinear) and same arithmetic: only float32 rounding differs.
        assert np.abs(ours - expected).max() <= 1e-5


def test_opencv_resampler_is_close_to_the_reference(street_photo, fashionpedia_photos):
    for path in [street_photo, *fashionpedia_photos]:
        expected = _processor_pixels(path, 816, 864)
        ours = preprocess([cv2.imread(str(path))], DetectorSettings(resampler="opencv")).pixel_values[0]
        assert ours.shape == expected.shape
        diff = np.abs(ours - expected)
        # INTER_AREA vs Pillow's antialiased bilinear: a few grey levels at edges, tiny on average.
        assert diff.mean() < 0.05, diff.mean()


def test_letterbox_canvas_places_content_top_left_and_pads_with_zeros():
    frame = np.full((432, 768, 3), 200, np.uint8)
    batch = preprocess([frame], DetectorSettings(canvas=(512, 864)))
    assert batch.pixel_values.shape == (1, 3, 512, 864)
    geometry = batch.geometries[0]
    assert geometry.content_hw == letterbox_shape(432, 768, (512, 864)) == (486, 864)
    assert np.all(batch.pixel_values[0, :, 486:, :] == 0)
    content = batch.pixel_values[0, :, :486, :]
    expected = (200 / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    assert np.allclose(content.reshape(3, -1).mean(axis=1), expected, atol=1e-5)


def test_batch_pads_bottom_right_and_each_frame_equals_its_single_preprocess():
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (300, 500, 3), dtype=np.uint8)
    tall = rng.integers(0, 255, (900, 400, 3), dtype=np.uint8)
    batch = preprocess([small, tall], DetectorSettings())
    for i, frame in enumerate([small, tall]):
        single = preprocess([frame], DetectorSettings()).pixel_values[0]
        h, w = single.shape[1:]
        assert batch.geometries[i].content_hw == (h, w)
        assert np.array_equal(batch.pixel_values[i, :, :h, :w], single)
        assert not batch.pixel_values[i, :, h:, :].any() and not batch.pixel_values[i, :, :, w:].any()


def test_grayscale_bgra_and_16bit_frames_are_converted():
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    assert np.array_equal(as_bgr_uint8(gray), np.repeat(gray[:, :, None], 3, axis=2))
    bgra = np.dstack([np.full((8, 8, 3), 7, np.uint8), np.zeros((8, 8), np.uint8)])
    assert np.array_equal(as_bgr_uint8(bgra), np.full((8, 8, 3), 7, np.uint8))
    deep = np.full((8, 8, 3), 65535, np.uint16)
    assert np.array_equal(as_bgr_uint8(deep), np.full((8, 8, 3), 255, np.uint8))
    with pytest.raises(EngineError, match="channels"):
        as_bgr_uint8(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(EngineError, match="dtype"):
        as_bgr_uint8(np.zeros((8, 8, 3), np.float64))


def test_bad_size_settings_are_rejected():
    with pytest.raises(EngineError, match="multiples of 16"):
        DetectorSettings.build(canvas=(500, 864))
    with pytest.raises(EngineError, match="shortest edge <= longest edge"):
        DetectorSettings.build(size=(900, 864))
