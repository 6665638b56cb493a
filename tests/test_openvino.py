"""The OpenVINO backend against PyTorch on the same weights and the same (shared) pre/post-processing."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engines import DetectorSettings, EngineError, YolosDetector
from tests.test_engines import CANVAS, POST, assert_same_as_torch, exports, frames, torch_detections  # noqa: F401 - shared fixtures
from tools.agreement import agreement

pytestmark = pytest.mark.skipif(importlib.util.find_spec("openvino") is None,
                                reason="OpenVINO not installed (optional extra: pip install -e '.[openvino]')")


def _openvino(path, **kwargs) -> YolosDetector:
    return YolosDetector.from_settings(DetectorSettings(**{"model": str(path), "backend": "openvino", "device": "cpu", **POST, **kwargs}))


def test_openvino_fp32_gives_the_same_detections_as_pytorch(exports, frames, torch_detections, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    detector = _openvino(exports["fp32"], precision="fp32")
    assert detector.backend.precision == "fp32" and detector.settings.canvas == CANVAS
    assert_same_as_torch(detector.detect(frames), torch_detections)
    assert any((tmp_path / "openvino").iterdir())  # the compiled model was cached
    batch = detector.backend.infer(np.zeros((3, 3, *CANVAS), np.float32))
    assert batch.logits.shape[0] == 3  # any batch size
    detector.close()


def test_openvino_bf16_is_held_to_an_agreement_floor(exports, frames, torch_detections, tmp_path, monkeypatch):  # noqa: F811
    from engines.backends.openvino_backend import cpu_has_bf16

    if not cpu_has_bf16():
        with pytest.raises(EngineError, match="no BF16 support"):
            _openvino(exports["fp32"], precision="bf16")
        pytest.skip("this CPU has no BF16: the refusal was checked")
    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    detector = _openvino(exports["fp32"], precision="bf16")
    found = detector.detect(frames)
    # BF16 keeps 8 bits of mantissa: scores move by about 1e-2, so a detection near the threshold may
    # come or go. Measured 1.0 on these frames with the tiny random model; a broken graph scores near 0.
    assert agreement(torch_detections, found) >= 0.9
    assert detector.backend.precision == "bf16"


CTRL_C_AFTER_TWO_ENGINES = """
import os, signal, sys, time
from engines import DetectorSettings, YolosDetector
made = [YolosDetector.from_settings(DetectorSettings(model=sys.argv[1], backend="openvino", device="cpu", precision="fp32"))
        for _ in range(2)]  # a garment and a person model, or auto measuring two precisions
for detector in made:  # closed in the order they were made
    detector.close()
del made, detector
handled = []
signal.signal(signal.SIGINT, lambda *_: handled.append(1))
os.kill(os.getpid(), signal.SIGINT)
time.sleep(0.2)
print("handled", len(handled))
"""


def test_ctrl_c_after_two_openvino_engines_were_closed_is_handled(exports, tmp_path):  # noqa: F811
    """Regression: each engine had its own OpenVINO Core, whose CPU plugin installs an alternate
    signal stack and on destruction frees it and puts back the one it found; closed in the order
    made, a freed stack stayed installed and the next Ctrl-C killed the process (SIGSEGV)."""
    run = subprocess.run([sys.executable, "-c", CTRL_C_AFTER_TWO_ENGINES, str(exports["fp32"])], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).resolve().parents[1], env={**os.environ, "FASHION_STREAM_CACHE": str(tmp_path)})
    assert run.returncode == 0 and "handled 1" in run.stdout, (run.returncode, run.stderr[-2000:])


def test_openvino_refuses_cuda_and_non_onnx_models(exports, tiny_checkpoint):  # noqa: F811
    with pytest.raises(EngineError, match="runs on the CPU"):
        _openvino(exports["fp32"], device="cuda")
    with pytest.raises(EngineError, match="is not an .onnx file"):
        _openvino(tiny_checkpoint)


def test_int8_export_calibrated_on_a_video_runs_in_openvino(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    """`fashion-stream export openvino --calibrate VIDEO`: static INT8 (quantize/dequantize pairs
    NNCF placed), the same metadata, and detections held to an agreement floor with FP32."""
    import onnx

    from engines.quantize_int8 import calibration_frames
    from tests.fakes import run_cli
    from tests.media import write_h264

    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    video = write_h264(tmp_path / "shop.mp4", frames=40)
    out = tmp_path / "tiny-int8.onnx"
    rc, err = run_cli(["export", "openvino", "--model", str(tiny_checkpoint), "--out", str(out), "--calibrate", str(video),
                       "--frames", "20", "--input-size", *map(str, CANVAS)], capsys)
    assert rc == 0, err
    graph = onnx.load(str(out)).graph
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) >= 10
    dequantized = {output for node in graph.node if node.op_type == "DequantizeLinear" for output in node.output}
    heads = [n for n in graph.node if n.op_type == "MatMul" and ("class_labels_classifier" in n.name or "bbox_predictor" in n.name)]
    body = [n for n in graph.node if n.op_type == "MatMul" and "encoder" in n.name]
    assert heads and not any(set(n.input) & dequantized for n in heads), "the class and box heads stay in higher precision"
    assert any(set(n.input) & dequantized for n in body), "the encoder's matrix products run in INT8"
    images = calibration_frames(video, 6)
    fp32 = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu", canvas=CANVAS, **POST)).detect(images)
    int8 = _openvino(out, precision="fp32").detect(images)
    # measured 0.89-1.0 with the tiny random model on generated footage; a broken quantization scores near 0
    assert agreement(fp32, int8) >= 0.75
    rc, err = run_cli(["export", "openvino", "--model", str(tiny_checkpoint), "--out", str(out), "--calibrate", str(tmp_path / "no.mp4")],
                      capsys)
    assert rc == 2 and "option --calibrate: video not found" in err
