"""Run statistics with flat memory: counters, interval rates, latency percentiles over a window."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import numpy as np


class LatencyWindow:
    """The last `size` samples of a latency (with when they were taken); p50/p95 in milliseconds."""

    def __init__(self, size: int = 2000) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        """Record one sample, now."""
        self.samples.append((time.monotonic(), seconds))

    def percentiles_ms(self, since: float | None = None) -> dict[str, float | None]:
        """p50 and p95 of the samples taken after `since` (a time.monotonic() value; None: all kept).

        Returns:
            {"p50_ms": ..., "p95_ms": ...}, None for both when there is no sample.
        """
        values = np.fromiter((s for t, s in self.samples if since is None or t >= since), dtype=np.float64) * 1000
        if not len(values):
            return {"p50_ms": None, "p95_ms": None}
        return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2)}


class RunStats:
    """Counters and latency windows of one pipeline run, and the interval the stats line covers."""

    STAGES = ("queue_wait", "inference", "end_to_end")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frames_out = 0
        self.detector_runs = 0
        self.processed: Counter[str] = Counter()
        self.latency = {stage: LatencyWindow() for stage in self.STAGES}
        self._interval_start = self.started
        self._interval_read: dict[str, int] = {}
        self._interval_out: Counter[str] = Counter()
        self.observers: list[Callable[[str, float], None]] = []  # also told every latency sample (metrics)

    def add_latency(self, stage: str, seconds: float) -> None:
        """One latency sample of a stage (`queue_wait`, `inference`, `end_to_end`)."""
        self.latency[stage].add(seconds)
        for observe in self.observers:
            observe(stage, seconds)

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return max(1e-9, time.monotonic() - self.started)

    def count_processed(self, source_id: str) -> None:
        """One more frame of `source_id` went through every stage."""
        self.frames_out += 1
        self.processed[source_id] += 1

    def snapshot(self, queue_depth: int, drops: dict[str, int], reconnects: dict[str, int], frames_read: int) -> dict[str, Any]:
        """Everything the run summary reports, over the whole run."""
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

    def interval(self, frames_read: dict[str, int]) -> dict[str, Any]:
        """Rates and latencies since the previous call (what a live stats line shows), then start a new interval.

        Args:
            frames_read: per source, the frames read since the run started.

        Returns:
            {"seconds", "input_fps": {source: fps}, "processed_fps": {source: fps}, "latency": {stage: p50/p95}}.
        """
        now = time.monotonic()
        seconds = max(1e-9, now - self._interval_start)
        read = {s: n - self._interval_read.get(s, 0) for s, n in frames_read.items()}
        out = {s: self.processed[s] - self._interval_out[s] for s in frames_read}
        latency = {stage: window.percentiles_ms(since=self._interval_start) for stage, window in self.latency.items()}
        self._interval_start, self._interval_read, self._interval_out = now, dict(frames_read), Counter(self.processed)
        return {"seconds": round(seconds, 2), "input_fps": {s: round(n / seconds, 2) for s, n in read.items()},
                "processed_fps": {s: round(n / seconds, 2) for s, n in out.items()}, "latency": latency}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def stats_line(interval: dict[str, Any], states: dict[str, str], drops: dict[str, int], queue_depth: int,
               failed_sinks: list[str]) -> str:
    """One log line for live runs: per source its state, input and processed fps over the last
    interval and drops so far; latencies over the interval ('-' when nothing was processed)."""
    sources = "; ".join(
        f"{s} {states[s]} in {interval['input_fps'].get(s, 0):.1f} out {interval['processed_fps'].get(s, 0):.1f} fps drops {drops.get(s, 0)}"
        for s in states
    )
    lat = interval["latency"]
    line = (f"{sources} | infer p50/p95 {_ms(lat['inference']['p50_ms'])}/{_ms(lat['inference']['p95_ms'])} ms | "
            f"e2e p50/p95 {_ms(lat['end_to_end']['p50_ms'])}/{_ms(lat['end_to_end']['p95_ms'])} ms | queue {queue_depth}")
    if failed_sinks:
        line += f" | FAILED sinks: {', '.join(failed_sinks)}"
    return line
