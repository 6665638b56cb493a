"""End-to-end parity of YolosDetector with transformers' own processor, model and post-processing."""

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import YolosForObjectDetection, YolosImageProcessor

from engines import DetectorSettings, EngineError, YolosDetector
from engines.postprocess import PostprocessSettings
from engines.preprocess import SizeSettings


def _transformers_detections(checkpoint, path, threshold, size):
    processor = YolosImageProcessor(size={"shortest_edge": size[0], "longest_edge": size[1]})
    model = YolosForObjectDetection.from_pretrained(checkpoint).eval()
    image = Image.open(path).convert("RGB")
    with torch.no_grad():
        outputs = model(**processor(images=image, return_tensors="pt"))
    result = processor.post_process_object_detection(outputs, threshold=threshold, target_sizes=[image.size[::-1]])[0]
    order = torch.argsort(result["scores"], descending=True, stable=True)
    return {k: v[order].numpy() for k, v in result.items()}


@pytest.mark.parametrize("size", [(816, 864), (512, 864)])
def test_detections_equal_transformers_pipeline(tiny_checkpoint, street_photo, fashionpedia_photos, size):
    threshold = 0.1
    settings = DetectorSettings(
        model=str(tiny_checkpoint), device="cpu", size=SizeSettings(*size), postprocess=PostprocessSettings(threshold)
    )
    detector = YolosDetector.from_settings(settings)
    for path in [street_photo, *fashionpedia_photos]:
        expected = _transformers_detections(tiny_checkpoint, path, threshold, size)
        ours = detector.detect([cv2.imread(str(path))])[0]
        assert len(ours) == len(expected["labels"]) > 0
        assert np.array_equal(ours.class_id, expected["labels"])
        assert np.abs(ours.confidence - expected["scores"]).max() <= 1e-5
        assert np.abs(ours.xyxy - expected["boxes"]).max() <= 0.5
        assert list(ours.data["class_name"]) == [detector.id2label[i] for i in expected["labels"]]


def test_batched_detection_equals_one_by_one(tiny_checkpoint, fashionpedia_photos):
    settings = DetectorSettings(model=str(tiny_checkpoint), device="cpu", size=SizeSettings(canvas=(512, 864)),
                                postprocess=PostprocessSettings(0.05))
    detector = YolosDetector.from_settings(settings)
    frames = [cv2.imread(str(p)) for p in fashionpedia_photos]
    batched = detector.detect(frames)
    for frame, together in zip(frames, batched):
        alone = detector.detect([frame])[0]
        assert np.array_equal(alone.class_id, together.class_id)
        assert np.allclose(alone.confidence, together.confidence, atol=1e-4)
        assert np.allclose(alone.xyxy, together.xyxy, atol=0.5)


def test_settings_are_validated():
    with pytest.raises(EngineError, match="threshold 1.5 is out of range"):
        DetectorSettings(postprocess=PostprocessSettings(threshold=1.5))
    with pytest.raises(EngineError, match="unknown backend"):
        DetectorSettings(backend="tflite")


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
        DetectorSettings(model=str(ckpt), device="cpu", postprocess=PostprocessSettings(threshold=0.0))
    )
    detections = detector.detect([cv2.imread(str(fashionpedia_photos[0]))])[0]
    assert set(detections.data["class_name"]) <= {"person", "shoe", "dog"} and len(detections) == 10
    for name, group in zip(detections.data["class_name"], detections.data["group"]):
        assert group == ("footwear" if name == "shoe" else "other")
