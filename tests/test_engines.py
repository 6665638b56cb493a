"""ONNX export, the ONNX Runtime backend and the TensorRT code path, against PyTorch on the same weights."""

import importlib.util

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from engines import DetectorSettings, EngineError, YolosDetector
from engines.backends.tensorrt_backend import batch_plan
from engines.errors import ModelLoadError
from engines.export_onnx import export_onnx
from engines.onnx_model import read_model_info
from engines.tensorrt_engine import EngineSpec, onnx_for_precision
from tools.agreement import agreement, match_detections

CANVAS = (256, 320)  # small fixed input keeps the suite fast; the export default is 512x864
POST = {"threshold": 0.1}


@pytest.fixture(scope="module")
def exports(tiny_checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    return {
        "fp32": export_onnx(str(tiny_checkpoint), folder / "tiny.onnx", CANVAS),
        "fp16": export_onnx(str(tiny_checkpoint), folder / "tiny-fp16.onnx", CANVAS, fp16=True),
        "int8": export_onnx(str(tiny_checkpoint), folder / "tiny-int8.onnx", CANVAS, optimize=True, int8=True),
    }


@pytest.fixture(scope="module")
def frames(street_photo, fashionpedia_photos):
    photos = [cv2.imread(str(p)) for p in (street_photo, *fashionpedia_photos)]
    # a portrait photo, a landscape video-sized frame and a small square one: three letterbox cases
    return [cv2.resize(photos[0], (400, 500)), cv2.resize(photos[1], (864, 486)), cv2.resize(photos[2], (200, 200))]


@pytest.fixture(scope="module")
def torch_detections(tiny_checkpoint, frames):
    settings = DetectorSettings(model=str(tiny_checkpoint), device="cpu", canvas=CANVAS, **POST)
    return YolosDetector.from_settings(settings).detect(frames)


def _onnx_detector(path, **kwargs):
    return YolosDetector.from_settings(DetectorSettings(model=str(path), backend="onnx", device="cpu", **POST, **kwargs))


def assert_same_as_torch(found, expected):
    """FP32 parity: something found, same labels and groups per frame, scores within 1e-3, boxes within 1 px."""
    assert sum(len(d) for d in found) > 0
    for ours, reference in zip(found, expected):
        assert np.array_equal(ours.class_id, reference.class_id)
        assert np.abs(ours.confidence - reference.confidence).max(initial=0) <= 1e-3
        assert np.abs(ours.xyxy - reference.xyxy).max(initial=0) <= 1.0
        assert list(ours.data["group"]) == list(reference.data["group"])


def _assert_same_within_fp16(found, expected):
    """Every detection found once on both sides, scores within 2e-2 and boxes within 1 px."""
    for ours, reference in zip(found, expected):
        pairs = match_detections(reference, ours, iou=0.9)
        assert len(pairs) == len(reference) == len(ours)
        for i, j in pairs:
            assert abs(ours.confidence[j] - reference.confidence[i]) <= 2e-2
            assert np.abs(ours.xyxy[j] - reference.xyxy[i]).max() <= 1.0


def test_export_is_valid_onnx_with_metadata_and_a_dynamic_batch(exports, tiny_checkpoint):
    model = onnx.load(str(exports["fp32"]))
    onnx.checker.check_model(model)
    assert model.opset_import[0].version >= 17
    assert any(node.op_type == "LayerNormalization" for node in model.graph.node)
    info = read_model_info(exports["fp32"])
    reference = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu"))
    assert info.id2label == reference.id2label and len(info.id2label) == 46
    assert info.input_hw == CANVAS and info.precision == "fp32"
    session = ort.InferenceSession(str(exports["fp32"]), providers=["CPUExecutionProvider"])
    for batch in (1, 3):  # not baked to the example's batch of 2
        logits, boxes = session.run(None, {"pixel_values": np.zeros((batch, 3, *CANVAS), np.float32)})
        assert logits.shape[0] == boxes.shape[0] == batch


def test_onnx_runtime_fp32_gives_the_same_detections_as_pytorch(exports, frames, torch_detections):
    detector = _onnx_detector(exports["fp32"])
    assert detector.settings.canvas == CANVAS  # taken from the file
    assert detector.backend.session.get_session_options().enable_mem_pattern is False  # halves the peak memory (README)
    assert_same_as_torch(detector.detect(frames), torch_detections)


def test_onnx_runtime_on_the_cpu_runs_a_batch_one_image_at_a_time_with_the_same_outputs(exports):
    detector = _onnx_detector(exports["fp32"])
    session, sizes = detector.backend.session, []

    class Spy:  # the session's own run, counting the images of each call
        def run(self, names, feed):
            sizes.append(len(feed["pixel_values"]))
            return session.run(names, feed)

    pixels = np.random.default_rng(0).standard_normal((3, 3, *CANVAS)).astype(np.float32)
    detector.backend.session = Spy()
    split = detector.backend.infer(pixels)
    assert sizes == [1, 1, 1], "peak memory of one image, not of the batch (README)"
    logits, boxes = session.run(None, {"pixel_values": pixels})
    assert np.array_equal(split.logits, logits) and np.array_equal(split.boxes, boxes)


def test_fp16_graph_matches_pytorch_within_fp16_tolerance(exports, frames, torch_detections):
    """The FP16 file TensorRT builds from, run by ONNX Runtime on the CPU."""
    model = onnx.load(str(exports["fp16"]))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    found = _onnx_detector(exports["fp16"]).detect(frames)
    _assert_same_within_fp16(found, torch_detections)


def test_int8_export_is_quantized_and_measured_by_agreement(exports, frames, torch_detections):
    ops = {node.op_type for node in onnx.load(str(exports["int8"])).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops
    found = _onnx_detector(exports["int8"]).detect(frames)
    # Held to a floor: measured 1.0 on these frames (real and generated photos) with the tiny
    # random model; a quantization that breaks the network scores near 0.
    assert agreement(torch_detections, found) >= 0.9
    assert agreement(torch_detections, torch_detections) == 1.0


def test_agreement_counts_label_and_box_mismatches(torch_detections):
    reference = next(d for d in torch_detections if len(d) >= 2)
    relabelled = reference[:]
    relabelled.class_id = reference.class_id.copy()
    relabelled.class_id[0] = (relabelled.class_id[0] + 1) % 46
    assert agreement([reference], [relabelled]) == pytest.approx((len(reference) - 1) / len(reference))
    shifted = reference[:]
    shifted.xyxy = reference.xyxy + 1000.0
    assert agreement([reference], [shifted]) == 0.0


def test_onnx_backend_errors_are_one_line(exports, tiny_checkpoint, tmp_path):
    with pytest.raises(ModelLoadError, match="not an .onnx file"):
        _onnx_detector(tiny_checkpoint)
    with pytest.raises(ModelLoadError, match="ONNX model not found"):
        _onnx_detector(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="not a readable ONNX model"):
        _onnx_detector(tmp_path / "junk.onnx")
    with pytest.raises(EngineError, match="exported for 256x320"):
        _onnx_detector(exports["fp32"], canvas=(512, 864))
    with pytest.raises(EngineError, match="fp32 export"):
        _onnx_detector(exports["fp32"], fp16=True)
    if "CUDAExecutionProvider" not in ort.get_available_providers():  # else this error cannot happen here
        with pytest.raises(EngineError, match="no CUDA provider"):
            YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), backend="onnx", device="cuda"))


def test_engine_cache_key_changes_with_every_input():
    base = dict(model_sha="abc", tensorrt_version="10.9", gpu_name="NVIDIA H100 80GB HBM3", input_hw=(512, 864),
                precision="fp16", min_batch=1, opt_batch=4, max_batch=8)
    name = EngineSpec(**base).cache_name()
    assert name == EngineSpec(**base).cache_name()
    assert name.startswith("yolos-512x864-fp16-b1-8-trt10.9-nvidia-h100-80gb-hbm3-") and name.endswith(".engine")
    for key, value in [("model_sha", "abd"), ("tensorrt_version", "11.0"), ("gpu_name", "NVIDIA L4"),
                       ("input_hw", (480, 864)), ("precision", "fp32"), ("opt_batch", 8), ("max_batch", 16)]:
        assert EngineSpec(**{**base, key: value}).cache_name() != name, key
    with pytest.raises(EngineError, match="bad batch range"):
        EngineSpec(**{**base, "min_batch": 9})


def test_batches_larger_than_the_engine_are_split():
    assert batch_plan(3, 8) == [(0, 3)]
    assert batch_plan(10, 4) == [(0, 4), (4, 8), (8, 10)]
    with pytest.raises(EngineError):
        batch_plan(0, 4)


def test_fp32_export_is_converted_to_an_fp16_graph_for_tensorrt_once(exports, tmp_path):
    info = read_model_info(exports["fp32"])
    converted = onnx_for_precision(exports["fp32"], info, "fp16", tmp_path)
    assert read_model_info(converted).precision == "fp16"
    assert onnx_for_precision(exports["fp32"], info, "fp16", tmp_path) == converted
    assert onnx_for_precision(exports["fp32"], info, "fp32", tmp_path) == exports["fp32"]
    with pytest.raises(EngineError, match="int8"):
        onnx_for_precision(exports["int8"], read_model_info(exports["int8"]), "fp16", tmp_path)


def _tensorrt_missing() -> str | None:
    for module in ("tensorrt", "pycuda"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (optional extra: pip install -e '.[tensorrt]' on an NVIDIA GPU machine)"
    if not torch.cuda.is_available():
        return "no CUDA GPU"
    return None


def test_tensorrt_backend_without_tensorrt_says_what_is_missing(exports):
    if _tensorrt_missing() is None:
        pytest.skip("TensorRT is installed here; the GPU parity test covers it")
    with pytest.raises(EngineError, match="tensorrt|pycuda|GPU|CUDA"):
        YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), backend="tensorrt", device="cuda"))


@pytest.mark.skipif(_tensorrt_missing() is not None, reason=f"TensorRT GPU test skipped: {_tensorrt_missing()}")
def test_tensorrt_fp16_matches_pytorch(exports, frames, torch_detections, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    detector = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), backend="tensorrt", device="cuda",
                                                            fp16=True, max_batch=2, **POST))
    found = detector.detect(frames)  # 3 frames: split into 2 + 1
    _assert_same_within_fp16(found, torch_detections)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA test skipped: no CUDA GPU on this machine")
def test_torch_fp16_on_cuda_matches_fp32(tiny_checkpoint, frames, torch_detections):
    settings = DetectorSettings(model=str(tiny_checkpoint), device="cuda", fp16=True, canvas=CANVAS, **POST)
    _assert_same_within_fp16(YolosDetector.from_settings(settings).detect(frames), torch_detections)


@pytest.mark.parametrize("mid_embeddings", [False, True])
def test_frozen_position_embeddings_give_the_same_outputs_and_no_resize_is_left(mid_embeddings, tmp_path):
    """The export computes YOLOS's position-embedding interpolation once for its input size;
    outputs must not change, and the ONNX graph must not resample on every call."""
    from transformers import YolosConfig, YolosForObjectDetection

    from engines.export_onnx import freeze_position_embeddings
    from tools.make_checkpoint import PRESETS, spread_random_weights

    config = YolosConfig(**PRESETS["tiny"], image_size=[320, 480], use_mid_position_embeddings=mid_embeddings, num_labels=3)
    torch.manual_seed(0)
    model = YolosForObjectDetection(config).eval()
    spread_random_weights(model)
    if mid_embeddings:
        with torch.no_grad():
            model.vit.encoder.interpolation.mid_position_embeddings.normal_()
    model.save_pretrained(tmp_path / "ckpt")
    pixels = torch.randn(2, 3, *CANVAS)
    with torch.inference_mode():
        before = model(pixel_values=pixels)
        freeze_position_embeddings(model, CANVAS)
        after = model(pixel_values=pixels)
    assert torch.equal(before.logits, after.logits) and torch.equal(before.pred_boxes, after.pred_boxes)
    path = export_onnx(str(tmp_path / "ckpt"), tmp_path / "model.onnx", CANVAS)
    assert "Resize" not in {node.op_type for node in onnx.load(str(path)).graph.node}
    logits, boxes = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"pixel_values": pixels.numpy()})
    assert np.abs(logits - before.logits.numpy()).max() < 1e-3 and np.abs(boxes - before.pred_boxes.numpy()).max() < 1e-3
