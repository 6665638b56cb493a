"""The benchmark helpers run (they import the product's reader contract, which can drift)."""

from __future__ import annotations

import numpy as np

from tests.fakes import CountingDetector


def test_pipeline_vs_bare_measurement_runs_on_frames_in_memory():
    """Regression: FramesReader lacked `truncated`, so every pipeline/bare measurement crashed."""
    from tools.bench_pipeline import frames_pipeline_ratio

    result = frames_pipeline_ratio(CountingDetector(delay_s=0.01), [np.zeros((48, 64, 3), np.uint8)] * 6, 2)
    assert result["bare_fps"] > 0 and result["pipeline_fps"] > 0 and result["ratio"] == result["pipeline_fps"] / result["bare_fps"]


def test_cpu_description_names_the_flags_and_threads():
    from tools.bench_interleaved import cpu_description

    text = cpu_description()
    assert "cores" in text and "flags:" in text and "torch threads" in text
