"""Run statistics with flat memory: rates, latency percentiles over a sliding window."""

from __future__ import annotations

import time
from collections import deque

import numpy as np


class LatencyWindow:
    """The last `size` samples of a latency, in seconds; p50/p95 in milliseconds."""

    def __init__(self, size: int = 2000) -> None:
        self.samples: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def percentiles_ms(self) -> dict[str, float | None]:
        if not self.samples:
            return {"p50_ms": None, "p95_ms": None}
        values = np.fromiter(self.samples, dtype=np.float64) * 1000
        return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2)}


class RunStats:
    """Counters and latency windows of one pipeline run."""

    STAGES = ("queue_wait", "inference", "end_to_end")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frames_out = 0
        self.detector_runs = 0
        self.latency = {stage: LatencyWindow() for stage in self.STAGES}

    def elapsed(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    def snapshot(self, queue_depth: int, drops: dict[str, int], reconnects: dict[str, int], frames_read: int) -> dict:
        """Everything the stats line and the run summary report."""
        elapsed = self.elapsed()
        return {
            "elapsed_s": round(elapsed, 2),
            "input_fps": round(frames_read / elapsed, 2),
            "processed_fps": round(self.frames_out / elapsed, 2),
            "frames_read": frames_read,
            "frames_processed": self.frames_out,
            "detector_runs": self.detector_runs,
            "queue_depth": queue_depth,
            "drops": drops,
            "reconnects": reconnects,
            "latency": {stage: window.percentiles_ms() for stage, window in self.latency.items()},
        }


def stats_line(snapshot: dict) -> str:
    """One log line for live runs."""
    lat = snapshot["latency"]
    return (
        f"in {snapshot['input_fps']:.1f} fps | out {snapshot['processed_fps']:.1f} fps | "
        f"infer p50/p95 {lat['inference']['p50_ms']}/{lat['inference']['p95_ms']} ms | "
        f"e2e p50/p95 {lat['end_to_end']['p50_ms']}/{lat['end_to_end']['p95_ms']} ms | "
        f"queue {snapshot['queue_depth']} | drops {sum(snapshot['drops'].values())} | "
        f"reconnects {sum(snapshot['reconnects'].values())}"
    )
