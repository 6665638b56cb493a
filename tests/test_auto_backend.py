"""`backend: auto`: PyTorch for a checkpoint, the measured fastest engine for an exported model,
the choice cached and logged with its reason."""

from __future__ import annotations

import importlib.util
import json
import logging

import pytest

from engines import DetectorSettings, YolosDetector
from tests.test_engines import exports  # noqa: F401 - shared fixture


def test_auto_runs_a_checkpoint_on_pytorch(tiny_checkpoint, caplog):
    caplog.set_level(logging.DEBUG, "engines.detector")
    detector = YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu"))
    assert DetectorSettings().backend == "auto" and detector.settings.backend == "torch"
    assert "backend auto: a checkpoint runs on PyTorch" in caplog.text


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="OpenVINO not installed: nothing to choose between")
def test_auto_measures_the_engines_once_and_takes_the_faster(exports, tmp_path, monkeypatch, caplog):  # noqa: F811
    import engines.auto_backend as auto

    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    caplog.set_level(logging.INFO, "engines.detector")
    measured = []
    real_measure = auto._measure
    monkeypatch.setattr(auto, "_measure", lambda *args: measured.append(args[1]) or real_measure(*args))
    first = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu"))
    cached = json.loads((tmp_path / "auto_backend.json").read_text())
    [entry] = cached.values()
    from engines.backends.openvino_backend import cpu_has_bf16

    expected = ["onnx", "openvino-fp32"] + (["openvino-bf16"] if cpu_has_bf16() else [])  # engines and precisions
    assert list(entry["ms"]) == expected and measured == [expected]
    fastest = min(entry["ms"], key=entry["ms"].get)
    assert first.settings.backend == fastest.split("-")[0]
    if fastest.startswith("openvino"):
        assert first.settings.precision == fastest.split("-")[1] == first.backend.precision
    assert "measured now" in caplog.text
    second = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu"))
    assert second.settings.backend == first.settings.backend and len(measured) == 1  # from the cache
    assert "measured earlier" in caplog.text
    forced = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu", backend="onnx"))
    assert forced.settings.backend == "onnx"  # the user can always force one
    fp32 = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu", precision="fp32"))
    assert measured[-1] == ["onnx", "openvino-fp32"] and fp32.settings.precision == "fp32"  # a forced precision is kept
