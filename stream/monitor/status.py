"""The run's live status, as `/status.json` serves it and the page and metrics read it."""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from stream.monitor.live_frames import RATE_WINDOW_S, LiveFrames
from stream.sources.runner import SourceState

if TYPE_CHECKING:
    from stream.pipeline import Pipeline

UNHEALTHY = {SourceState.RECONNECTING.value, SourceState.FAILED.value}


class RunStatus:
    """Per-source state, input and processed rates over the last seconds, drops, reconnects,
    latencies and the people in view; health from the same numbers."""

    def __init__(self, pipeline: Pipeline, frames: LiveFrames) -> None:
        self.pipeline = pipeline
        self.frames = frames
        self._read: dict[str, deque[tuple[float, int]]] = {}

    def _input_fps(self, source: str, frames_read: int, now: float) -> float:
        history = self._read.setdefault(source, deque([(self.pipeline.stats.started, 0)], maxlen=256))
        history.append((now, frames_read))
        while len(history) > 2 and now - history[1][0] >= RATE_WINDOW_S:
            history.popleft()
        (t0, n0), (t1, n1) = history[0], history[-1]
        return round((n1 - n0) / (t1 - t0), 2) if t1 > t0 else 0.0

    def snapshot(self) -> dict[str, Any]:
        """The status document."""
        pipeline = self.pipeline
        now = time.monotonic()
        sources = {}
        for runner in pipeline.runners:
            view = self.frames.views.get(runner.source_id)
            sources[runner.source_id] = {
                "state": runner.state.value,
                "error": runner.error,
                "input_fps": self._input_fps(runner.source_id, runner.frames_read, now),
                "processed_fps": view.processed_fps(now) if view else 0.0,
                "frames_read": runner.frames_read,
                "frames_processed": pipeline.stats.processed[runner.source_id],
                "frames_dropped": pipeline.queue.dropped.get(runner.source_id, 0) + getattr(runner.reader, "overflow", 0),
                "outages": runner.outages,
                "reconnects": runner.reconnects,
                "last_frame_time": view.time if view else None,
                "people": len(view.people) if view else 0,
                "garments": view.garments if view else 0,
                "people_in_view": view.people if view else [],
            }
        since = now - 10.0
        return {
            "running": pipeline.running,
            "elapsed_s": round(pipeline.stats.elapsed(), 1),
            "sources": sources,
            "queue_depth": len(pipeline.queue),
            "latency_ms": {stage: window.percentiles_ms(since=since) for stage, window in pipeline.stats.latency.items()},
            "sinks": {w.sink.name: w.error for w in pipeline.workers if w.sink is not self.frames},
        }

    def health(self) -> tuple[bool, list[str]]:
        """(healthy, problems): unhealthy while a source is reconnecting or failed, or a sink failed."""
        status = self.snapshot()
        problems = [f"source {s} is {v['state']}" + (f": {v['error']}" if v["error"] else "")
                    for s, v in status["sources"].items() if v["state"] in UNHEALTHY]
        problems += [f"sink {name} failed" for name, error in status["sinks"].items() if error]
        return not problems, problems
