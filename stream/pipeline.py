"""The pipeline: sources -> bounded queue -> batched detector -> tracking -> sinks, with a clean lifecycle.

Readers run on their own threads (`SourceRunner`), sinks on theirs (`SinkWorker`); the calling
thread batches frames and runs the detector. `stop()`: readers stop, what is queued is still
processed; `abort()`: the backlog is dropped too. Either way, and also when the detector fails
or every output has failed, the end of the run cannot be cut short: the final events reach
every sink, every sink is flushed and closed, and the summary is returned (and written
atomically as JSON). Signals are the caller's business (the CLI maps Ctrl-C to these calls).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from stream.frame_queue import FrameQueue, QueuePolicy
from stream.inference import Detector, InferenceStage
from stream.sinks.base import EndEvents, Sink, SinkWorker
from stream.sources.capture import configure_ffmpeg_capture
from stream.sources.readers import FrameReader
from stream.sources.runner import ReconnectPolicy, SourceRunner, SourceState
from stream.stats import RunStats, stats_line
from stream.tracking import TrackingSettings
from stream.tracking_stage import TrackingStage

log = logging.getLogger(__name__)


@dataclass
class SourceSpec:
    """A source as the pipeline needs it; `policy` None lets the source decide once open."""

    source_id: str
    reader: FrameReader
    policy: QueuePolicy | None = None
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
    sink_close_timeout_s: float = 60.0


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write `path` whole or not at all (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(payload, indent=2))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


class Pipeline:
    """Wires sources, queue, inference, tracking and sinks; `run()` blocks until every source is
    done or the run is stopped, and returns the run summary."""

    def __init__(self, sources: list[SourceSpec], detector: Detector, sinks: list[tuple[Sink, bool | None]],
                 settings: PipelineSettings | None = None, person_detector: Detector | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self.queue = FrameQueue(self.settings.queue_size)
        self.stage = InferenceStage(detector, self.settings.detect_every, person_detector, self.settings.name_colors)
        self.tracking = TrackingStage(self.settings.tracking) if self.settings.tracking else None
        self.runners = [
            SourceRunner(s.source_id, s.reader, self.queue, s.policy, s.reconnect, s.realtime) for s in sources
        ]
        self.sinks = sinks
        self.workers: list[SinkWorker] = []
        self.stats = RunStats()
        self.interrupted = False
        self.fatal: str | None = None
        self.discarded = 0
        self._stop = threading.Event()
        self._abort = threading.Event()

    def stop(self) -> None:
        """Stop reading; what is queued is still processed and written."""
        self._stop.set()

    def abort(self) -> None:
        """Stop reading and drop what is queued; the outputs are still finalized."""
        self._abort.set()
        self._stop.set()

    def _any_live(self) -> bool:
        return any(r.reader.live or r.realtime for r in self.runners)

    def run(self) -> dict[str, Any]:
        """Run to completion and return the run summary."""
        configure_ffmpeg_capture()
        self.workers = [SinkWorker(sink, block=block) for sink, block in self.sinks]
        for runner in self.runners:
            runner.start()
        progress = tqdm(total=None, unit="frame", desc="frames", disable=not self.settings.show_progress or self._any_live())
        try:
            self._loop(progress)
        finally:
            self._finish(progress)
        return self._summary_written()

    def _finish(self, progress: tqdm) -> None:
        """Stop the readers, deliver the end-of-run events and close every sink (runs to the end)."""
        for runner in self.runners:
            runner.stop()
        self.queue.close()
        self.discarded += self.queue.discard()
        for runner in self.runners:
            runner.join(timeout=15)
        if self.tracking is not None:
            try:
                final = EndEvents(self.tracking.finish())
            except Exception:
                log.exception("tracking failed to finish")
                final = EndEvents()
            for worker in self.workers:
                worker.submit(final)
        for worker in self.workers:
            worker.close(self.settings.sink_close_timeout_s)
        progress.close()

    def _summary_written(self) -> dict[str, Any]:
        summary = self.summary()
        path = self.settings.summary_path
        if path is not None:
            try:
                write_json_atomically(path, summary)
            except OSError as exc:
                summary["summary_error"] = f"cannot write {path}: {exc.strerror or exc}"
                log.error(summary["summary_error"])
        return summary

    def _loop(self, progress: tqdm) -> None:
        stopping = False
        next_stats = time.monotonic() + self.settings.stats_interval_s
        while True:
            if self._stop.is_set() and not stopping:
                stopping = True
                for runner in self.runners:
                    runner.stop()
            if self._abort.is_set():
                self.discarded += self.queue.discard()
                return
            if self.workers and all(w.failed for w in self.workers):
                self.fatal = "every output failed: " + "; ".join(str(w.error) for w in self.workers)
                log.error("%s; stopping the run", self.fatal)
                return
            batch = self.queue.get_batch(self.settings.batch_size, self.settings.max_wait_ms / 1000)
            if batch:
                self._process(batch)
                self._update_progress(progress, len(batch))
            elif all(runner.finished for runner in self.runners) and len(self.queue) == 0:
                return
            if time.monotonic() >= next_stats and self._any_live():
                log.info(self.stats_line())
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
        block = not self._any_live()
        for result in results:
            result.latency_s = done - result.frame.read_monotonic
            self.stats.latency["end_to_end"].add(result.latency_s)
            for worker in self.workers:
                worker.submit(result, block=block)
            self.stats.count_processed(result.frame.source_id)

    def _update_progress(self, progress: tqdm, n: int) -> None:
        if progress.total is None:
            counts = [r.reader.frame_count for r in self.runners]
            if all(c is not None for c in counts):
                progress.total = sum(c for c in counts if c is not None)
        progress.update(n)

    def stats_line(self) -> str:
        """The live stats line: per-source state and rates over the last interval, latencies, failed sinks."""
        interval = self.stats.interval({r.source_id: r.frames_read for r in self.runners})
        return stats_line(interval, {r.source_id: r.state.value for r in self.runners}, dict(self.queue.dropped),
                          len(self.queue), [w.sink.name for w in self.workers if w.failed])

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
            reader = runner.reader
            expected, skipped = reader.frame_count, reader.skipped
            truncated = runner.state == SourceState.ENDED and not self._stop.is_set() and self.fatal is None and reader.truncated
            sources[runner.source_id] = {
                "state": runner.state.value,
                "error": runner.error,
                "frames_read": runner.frames_read,
                "frames_processed": self.stats.processed[runner.source_id],
                "frame_count": expected,
                "skipped": skipped,
                "truncated": truncated,
                "live": reader.live,
                "outages": runner.outages,
                "reconnects": runner.reconnects,
                "stale": getattr(reader, "stale", 0),
                "dropped": self.queue.dropped.get(runner.source_id, 0) + getattr(reader, "overflow", 0),
                "pts_corrections": runner.pts_corrections,
            }
        return {
            "interrupted": self.interrupted,
            "fatal": self.fatal,
            "discarded": self.discarded,
            "sources": sources,
            "stats": self._snapshot(),
            "sinks": {w.sink.name: {"written": w.written, "dropped": w.dropped, "error": w.error} for w in self.workers},
        }
