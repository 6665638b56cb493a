"""End-to-end parity of YolosDetector with transformers' own processor, model and post-processing."""

import re

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import YolosForObjectDetection, YolosImageProcessor

from engines import DetectorSettings, EngineError, YolosDetector


@pytest.mark.parametrize("size", [(816, 864), (512, 864)])
def test_detections_equal_transformers_pipeline(tiny_checkpoint, street_photo, fashionpedia_photos, size):
    settings = DetectorSettings(
        model=str(tiny_checkpoint), device="cpu", size=size, threshold=0.1
    )
    detector = YolosDetector.from_settings(settings)
    for path in [street_photo, *fashionpedia_photos]:
        _, references = _reference_batch(tiny_checkpoint, [Image.open(path).convert("RGB")], 0.1,
                                         size={"shortest_edge": size[0], "longest_edge": size[1]})
        ours = detector.detect([cv2.imread(str(path))])[0]
        _assert_same([ours], references)
        assert list(ours.data["class_name"]) == [detector.id2label[i] for i in references[0]["labels"]]


def _reference_batch(checkpoint, images, threshold, **processor_options):
    """transformers' own path for a batch: its processor (which pads the batch bottom-right), the
    model, and post_process_object_detection with each image's own size as target size."""
    processor = YolosImageProcessor(**processor_options)
    model = YolosForObjectDetection.from_pretrained(checkpoint).eval()
    inputs = processor(images=images, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs)
    sizes = [image.size[::-1] for image in images]
    results = processor.post_process_object_detection(outputs, threshold=threshold, target_sizes=sizes)
    references = []
    for result, (height, width) in zip(results, sizes):
        order = torch.argsort(result["scores"], descending=True, stable=True)
        boxes = result["boxes"][order].numpy()
        boxes[:, 0::2], boxes[:, 1::2] = boxes[:, 0::2].clip(0, width), boxes[:, 1::2].clip(0, height)
        references.append({"labels": result["labels"][order].numpy(), "scores": result["scores"][order].numpy(), "boxes": boxes})
    return inputs["pixel_values"].numpy(), references


def _assert_same(found, references):
    for ours, expected in zip(found, references):
        assert len(ours) == len(expected["labels"]) > 0
        assert np.array_equal(ours.class_id, expected["labels"])
        assert np.abs(ours.confidence - expected["scores"]).max() <= 1e-4
        assert np.abs(ours.xyxy - expected["boxes"]).max() <= 0.5


def _photos_of_three_shapes(street_photo, fashionpedia_photos):
    """A portrait photo, a 16:9 video frame and a small square: every padding case in one batch."""
    street = Image.open(street_photo).convert("RGB")
    return [street.resize((400, 500)), Image.open(fashionpedia_photos[1]).convert("RGB").resize((768, 432)),
            Image.open(fashionpedia_photos[0]).convert("RGB").resize((200, 200))]


def test_a_mixed_size_batch_equals_transformers_on_the_same_padded_batch(tiny_checkpoint, street_photo, fashionpedia_photos):
    """Regression: boxes of the padded frames of a batch were scaled by the padded input, up to
    hundreds of pixels away from transformers' result on the same weights."""
    images = _photos_of_three_shapes(street_photo, fashionpedia_photos)
    size = (512, 864)
    pixels, references = _reference_batch(tiny_checkpoint, images, 0.1, size={"shortest_edge": size[0], "longest_edge": size[1]})
    detector = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu", size=size, threshold=0.1))
    frames = [cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR) for image in images]
    from engines.preprocess import preprocess

    assert np.abs(preprocess(frames, detector.settings).pixel_values - pixels).max() <= 1e-5  # same padded batch
    _assert_same(detector.detect(frames), references)


def test_letterboxed_frames_equal_transformers_on_the_same_canvas(tiny_checkpoint, street_photo, fashionpedia_photos):
    """Regression: a frame letterboxed onto a fixed canvas (ONNX, TensorRT, --canvas) whose aspect
    differs from the canvas had its boxes stretched by the padding (2.1x in x for a portrait photo)."""
    from engines.preprocess import letterbox_shape

    canvas = (512, 864)
    images = _photos_of_three_shapes(street_photo, fashionpedia_photos)
    detector = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu",
                                                            canvas=canvas, threshold=0.1))
    for image in images:  # the reference: resize to the letterbox content, pad to the canvas, decode by the image size
        height, width = letterbox_shape(image.height, image.width, canvas)
        _, references = _reference_batch(tiny_checkpoint, [image], 0.1, size={"height": height, "width": width},
                                         pad_size={"height": canvas[0], "width": canvas[1]})
        _assert_same(detector.detect([cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)]), references)


def test_boxes_never_leave_the_frame(tiny_checkpoint, fashionpedia_photos):
    """Regression: predicted boxes past the edges reached events and overlays unclipped."""
    frame = cv2.imread(str(fashionpedia_photos[0]))
    detector = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu",
                                                            threshold=0.0))
    boxes = detector.detect([frame])[0].xyxy
    height, width = frame.shape[:2]
    assert len(boxes) == detector.backend.model.config.num_detection_tokens
    assert boxes.min() >= 0 and boxes[:, 0::2].max() <= width and boxes[:, 1::2].max() <= height
    assert (boxes[:, 0] == 0).any() or (boxes[:, 2] == width).any() or (boxes[:, 1] == 0).any() or (boxes[:, 3] == height).any()


def test_batched_detection_equals_one_by_one(tiny_checkpoint, fashionpedia_photos):
    settings = DetectorSettings(model=str(tiny_checkpoint), device="cpu", canvas=(512, 864), threshold=0.05)
    detector = YolosDetector.from_settings(settings)
    frames = [cv2.imread(str(p)) for p in fashionpedia_photos]
    batched = detector.detect(frames)
    for frame, together in zip(frames, batched):
        alone = detector.detect([frame])[0]
        assert np.array_equal(alone.class_id, together.class_id)
        assert np.allclose(alone.confidence, together.confidence, atol=1e-4)
        assert np.allclose(alone.xyxy, together.xyxy, atol=0.5)


def test_settings_are_validated_with_one_line_naming_the_field():
    with pytest.raises(EngineError, match=r"bad value for 'threshold' \(1.5\): Input should be less than 1"):
        DetectorSettings.build(threshold=1.5)
    with pytest.raises(EngineError, match=re.escape("bad value for 'backend' ('tflite'): Input should be 'auto', 'torch', 'onnx', 'openvino' or 'tensorrt'")):
        YolosDetector.from_settings(backend="tflite")
    with pytest.raises(EngineError, match="bad value for 'device'"):
        DetectorSettings.build(device="gpu0")


def test_cuda_and_fp16_requests_fail_clearly_without_a_gpu(tiny_checkpoint):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the error paths are for CPU-only machines")
    with pytest.raises(EngineError, match="CUDA is not available"):
        YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cuda"))
    with pytest.raises(EngineError, match="fp16 needs a CUDA device"):
        YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu", fp16=True))


def test_generic_label_names_fall_back_to_the_taxonomy(tmp_path):
    from tools.make_checkpoint import make_checkpoint

    ckpt = make_checkpoint(tmp_path / "generic", id2label={i: f"LABEL_{i}" for i in range(46)})
    detector = YolosDetector.from_settings(DetectorSettings(model=str(ckpt), device="cpu"))
    assert detector.id2label[0] == "shirt, blouse" and detector.id2label[23] == "shoe"


def test_a_checkpoint_with_other_labels_still_works(tmp_path, fashionpedia_photos):
    from tools.make_checkpoint import make_checkpoint

    ckpt = make_checkpoint(tmp_path / "other", id2label={0: "person", 1: "shoe", 2: "dog"})
    detector = YolosDetector.from_settings(
        DetectorSettings(model=str(ckpt), device="cpu", threshold=0.0)
    )
    detections = detector.detect([cv2.imread(str(fashionpedia_photos[0]))])[0]
    assert set(detections.data["class_name"]) <= {"person", "shoe", "dog"} and len(detections) == 10
    for name, group in zip(detections.data["class_name"], detections.data["group"]):
        assert group == ("footwear" if name == "shoe" else "other")
