"""The pipeline: sources -> bounded queue -> batched detector -> sinks, with a clean lifecycle.

Readers run on their own threads (`SourceRunner`), sinks on theirs (`SinkWorker`); the calling
thread batches frames and runs the detector. Stop (SIGINT/SIGTERM or `stop()`): readers stop,
what is queued is still processed, every sink is flushed and closed, and a summary is returned
(and written as JSON). A failing detector closes the queue so no reader stays blocked, and the
sinks are finalized all the same.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from stream.frame_queue import FrameQueue, QueuePolicy
from stream.inference import Detector, InferenceStage
from stream.sinks.base import EndEvents, Sink, SinkWorker
from stream.sources.readers import FrameReader
from stream.sources.runner import ReconnectPolicy, SourceRunner, SourceState
from stream.stats import RunStats, stats_line
from stream.tracking import TrackingSettings
from stream.tracking_stage import TrackingStage

log = logging.getLogger(__name__)


@dataclass
class SourceSpec:
    """A source as the pipeline needs it."""

    source_id: str
    reader: FrameReader
    policy: QueuePolicy = "block"
    reconnect: ReconnectPolicy | None = None
    realtime: bool = False

    @property
    def live(self) -> bool:
        """Frames come at the source's pace (a camera, or a file played in real time)."""
        return self.reader.live or self.realtime


@dataclass
class PipelineSettings:
    queue_size: int = 32
    batch_size: int = 1
    max_wait_ms: float = 20.0
    detect_every: int = 1
    stats_interval_s: float = 10.0
    show_progress: bool = True
    summary_path: Path | None = None
    tracking: TrackingSettings | None = None  # None: detections only, no tracking
    name_colors: bool = False  # add each detection's colour name (data["color"])


class Pipeline:
    """Wires sources, queue, inference and sinks; `run()` blocks until every source is done or stop."""

    def __init__(self, sources: list[SourceSpec], detector: Detector, sinks: list[tuple[Sink, bool]],
                 settings: PipelineSettings | None = None, person_detector: Detector | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self.queue = FrameQueue(self.settings.queue_size)
        self.stage = InferenceStage(detector, self.settings.detect_every, person_detector, self.settings.name_colors)
        self.tracking = TrackingStage(self.settings.tracking, {s.source_id: s.reader for s in sources}) if self.settings.tracking else None
        self.runners = [
            SourceRunner(s.source_id, s.reader, self.queue, s.policy, s.reconnect, s.realtime) for s in sources
        ]
        self.sinks = sinks
        self.workers: list[SinkWorker] = []
        self.stats = RunStats()
        self.interrupted = False
        self._stop = threading.Event()
        self._live = any(s.live for s in sources)

    def stop(self) -> None:
        """Stop reading; what is queued is still processed and written."""
        self._stop.set()

    def _install_signal_handlers(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handle(signum, _frame):
            if self._stop.is_set():
                raise KeyboardInterrupt  # a second signal: stop draining
            log.warning("signal %s: stopping, draining the queue and closing the outputs", signal.Signals(signum).name)
            self.interrupted = True
            self.stop()

        return {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run(self) -> dict[str, Any]:
        """Run to completion and return the run summary."""
        previous_handlers = self._install_signal_handlers()
        self.workers = [SinkWorker(sink, block=block) for sink, block in self.sinks]
        for runner in self.runners:
            runner.start()
        progress = tqdm(total=None, unit="frame", desc="frames", disable=not self.settings.show_progress or self._live)
        next_stats = time.monotonic() + self.settings.stats_interval_s
        try:
            self._loop(progress, next_stats)
        finally:
            for runner in self.runners:
                runner.stop()
            self.queue.close()
            for runner in self.runners:
                runner.join(timeout=15)
            if self.tracking is not None:
                final = EndEvents(self.tracking.finish())
                for worker in self.workers:
                    worker.submit(final)
            for worker in self.workers:
                worker.close()
            progress.close()
            for sig, handler in previous_handlers.items():
                signal.signal(sig, handler)
            summary = self.summary()
            if self.settings.summary_path is not None:
                self.settings.summary_path.parent.mkdir(parents=True, exist_ok=True)
                self.settings.summary_path.write_text(json.dumps(summary, indent=2))
        return summary

    def _loop(self, progress: tqdm, next_stats: float) -> None:
        stopping = False
        while True:
            if self._stop.is_set() and not stopping:
                stopping = True
                for runner in self.runners:
                    runner.stop()
            batch = self.queue.get_batch(self.settings.batch_size, self.settings.max_wait_ms / 1000)
            if batch:
                self._process(batch)
                self._update_progress(progress, len(batch))
            elif all(runner.finished for runner in self.runners) and len(self.queue) == 0:
                return
            if self._live and time.monotonic() >= next_stats:
                log.info(stats_line(self._snapshot()))
                next_stats = time.monotonic() + self.settings.stats_interval_s

    def _process(self, batch) -> None:
        started = time.monotonic()
        for frame in batch:
            self.stats.latency["queue_wait"].add(started - frame.read_monotonic)
        results, infer_s = self.stage.process(batch)
        if self.tracking is not None:
            self.tracking.process(results)
        if any(not r.reused for r in results):
            self.stats.detector_runs += 1
            self.stats.latency["inference"].add(infer_s)
        done = time.monotonic()
        for result in results:
            result.latency_s = done - result.frame.read_monotonic
            self.stats.latency["end_to_end"].add(result.latency_s)
            for worker in self.workers:
                worker.submit(result)
        self.stats.frames_out += len(results)

    def _update_progress(self, progress: tqdm, n: int) -> None:
        if progress.total is None:
            counts = [r.reader.frame_count for r in self.runners]
            if all(c is not None for c in counts):
                progress.total = sum(counts)
        progress.update(n)

    def _snapshot(self) -> dict:
        return self.stats.snapshot(
            queue_depth=len(self.queue),
            drops=dict(self.queue.dropped),
            reconnects={r.source_id: r.reconnects for r in self.runners},
            frames_read=sum(r.frames_read for r in self.runners),
        )

    def summary(self) -> dict[str, Any]:
        """Per-source outcome, run statistics and per-sink counts."""
        sources = {}
        for runner in self.runners:
            expected = runner.reader.frame_count
            truncated = (
                runner.state == SourceState.ENDED and not self._stop.is_set() and expected is not None
                and runner.frames_read < 0.99 * expected - 1
            )
            sources[runner.source_id] = {
                "state": runner.state.value,
                "error": runner.error,
                "frames_read": runner.frames_read,
                "frame_count": expected,
                "truncated": truncated,
                "reconnects": runner.reconnects,
                "dropped": self.queue.dropped.get(runner.source_id, 0),
                "pts_corrections": runner.pts_corrections,
            }
        return {
            "interrupted": self.interrupted,
            "sources": sources,
            "stats": self._snapshot(),
            "sinks": {w.sink.name: {"written": w.written, "dropped": w.dropped, "error": w.error} for w in self.workers},
        }
