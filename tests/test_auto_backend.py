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
    assert set(entry["ms"]) == {"onnx", "openvino"} and measured == [["onnx", "openvino"]]
    assert first.settings.backend == min(entry["ms"], key=entry["ms"].get)  # the faster one
    assert "measured now" in caplog.text
    second = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu"))
    assert second.settings.backend == first.settings.backend and len(measured) == 1  # from the cache
    assert "measured earlier" in caplog.text
    forced = YolosDetector.from_settings(DetectorSettings(model=str(exports["fp32"]), device="cpu", backend="onnx"))
    assert forced.settings.backend == "onnx"  # the user can always force one
