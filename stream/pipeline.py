"""The pipeline: sources -> bounded queue -> batched detector -> stages -> tracker -> sinks.

Readers run on their own threads (`SourceRunner`), sinks on theirs (`SinkWorker`); the detector
and the stages run on the thread that runs the pipeline (`run()` blocks the caller; `start()`
runs it on a thread of its own). `stop()`: readers stop, what is queued is still processed;
`abort()`: the backlog is dropped too. Either way, and also when the detector fails or every
output has failed, the end of a run cannot be cut short: the final events reach every sink,
every sink is flushed and closed, the summary is returned (and written atomically as JSON).
A pipeline can run again once a run is over. Signals are the caller's business.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from stream.analytics.settings import LineSettings, ZoneSettings
from stream.analytics.zones import ZoneStage
from stream.config import RunConfig
from stream.errors import StreamError
from stream.frame_queue import FrameQueue
from stream.frames import FrameResult
from stream.inference import Detector, InferenceStage
from stream.io import write_json_atomically
from stream.sinks.base import EndEvents, Sink, SinkWorker
from stream.sinks.python import CallbackSink, ResultTap
from stream.sources.capture import configure_ffmpeg_capture
from stream.sources.readers import FrameReader
from stream.sources.runner import SourceRunner, SourceState
from stream.sources.settings import QueuePolicy, ReconnectSettings
from stream.stages import Stage
from stream.stats import RunStats, stats_line
from stream.tracking.stage import TrackingStage

if TYPE_CHECKING:
    from stream.assembly import RunParts
    from stream.monitor.server import Monitor

log = logging.getLogger(__name__)
SinkArg = Sink | tuple[Sink, bool | None]


@dataclass
class SourceSpec:
    """A source as the pipeline needs it; `policy` None lets the source decide once open."""

    source_id: str
    reader: FrameReader
    policy: QueuePolicy | None = None
    reconnect: ReconnectSettings | None = None
    realtime: bool = False
    zones: list[ZoneSettings] = field(default_factory=list)
    lines: list[LineSettings] = field(default_factory=list)


class Pipeline:
    """Sources, detector, stages and sinks of one product run.

    Build it from a config with `Pipeline.from_config(...)` (the public way), or from parts
    (readers, a detector, sinks) as the tests and tools do.

    Args:
        sources: the sources with their readers.
        detector: anything with `detect(frames) -> list[sv.Detections]`.
        sinks: sinks, or (sink, block) pairs (block None: wait unless a source is live).
        config: the run settings (queue, batching, stages, tracking, stats); default `RunConfig()`.
        person_detector: a person model, when tracking uses one.
        summary_path: where each run's summary is written (None: not written).
        on_result: a function called with every result, on a thread of its own.
    """

    def __init__(self, sources: list[SourceSpec], detector: Detector, sinks: Sequence[SinkArg] = (),
                 config: RunConfig | None = None, person_detector: Detector | None = None,
                 summary_path: Path | None = None, on_result: Callable[[FrameResult], Any] | None = None,
                 parts: RunParts | None = None) -> None:
        self.config = config or RunConfig()
        self.sources = sources
        self.detector = detector
        self.person_detector = person_detector
        self.sinks = [entry if isinstance(entry, tuple) else (entry, None) for entry in sinks]
        self.summary_path = summary_path
        self.on_result = on_result
        self.parts = parts  # config-built sinks, made afresh for each run
        self.monitor: Monitor | None = None  # the live view of the run in progress (config.serve)
        self._taps: list[ResultTap] = []
        self._thread: threading.Thread | None = None
        self._outcome: dict[str, Any] = {}
        self._running = threading.Lock()
        self._reset()

    @classmethod
    def from_config(cls, config: RunConfig | dict | str | Path | None = None, sources: Sequence[str | dict] | None = None,
                    on_result: Callable[[FrameResult], Any] | None = None, sinks: Sequence[Sink | dict] | None = None) -> Pipeline:
        """A pipeline as the config describes it: its sources, detector(s), stages, tracking and sinks.

        Args:
            config: a `RunConfig`, a mapping of settings, a YAML file, or None for the defaults
                (the command line's defaults).
            sources: URIs (files, folders, webcam indexes, URLs) or source settings; they fill
                the config's sources in order, keeping their settings.
            on_result: called with every `FrameResult`, on a thread of its own.
            sinks: sinks to use instead of the config's: `Sink` objects and/or sink settings
                (`{"type": "video"}`); `[]` for none (results only through `results()` or `on_result`).

        Returns:
            A pipeline, not yet started (the detector is loaded).
        """
        from stream.assembly import assemble

        return assemble(cls, config, sources, on_result, sinks)

    # --- lifecycle ------------------------------------------------------------------------
    def _reset(self) -> None:
        """Fresh per-run state: queue, runners, stages, statistics."""
        settings = self.config.detector
        self.queue = FrameQueue(self.config.queue.maxsize)
        self.inference = InferenceStage(self.detector, settings.detect_every, self.person_detector)
        self.stages = self._build_stages()
        self.runners = [SourceRunner(s.source_id, s.reader, self.queue, s.policy, s.reconnect, s.realtime) for s in self.sources]
        self.workers: list[SinkWorker] = []
        self.stats = RunStats()
        self.interrupted = False
        self.fatal: str | None = None
        self.discarded = 0
        self._stop = threading.Event()
        self._abort = threading.Event()

    def _build_stages(self) -> list[Stage]:
        from stream.stages import STAGES

        configured = [STAGES.build(entry) for entry in self.config.stages]
        stages = [stage for stage in configured if not stage.after_tracking]
        if self.config.tracking.enabled:
            stages.append(TrackingStage(self.config.tracking))
            if any(s.zones or s.lines for s in self.sources):
                stages.append(ZoneStage({s.source_id: (s.zones, s.lines) for s in self.sources}))
        return stages + [stage for stage in configured if stage.after_tracking]

    def stop(self) -> None:
        """Stop reading; what is queued is still processed and written."""
        self._stop.set()

    def abort(self) -> None:
        """Stop reading and drop what is queued; the outputs are still finalized."""
        self._abort.set()
        self._stop.set()

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self._running.locked()

    def start(self) -> Pipeline:
        """Run on a thread of its own; `join()` waits for the end. Returns the pipeline."""
        if not self._running.acquire(blocking=False):
            raise StreamError("the pipeline is already running")
        self._reset()
        self._outcome = {}
        self._thread = threading.Thread(target=self._run_in_thread, name="pipeline", daemon=True)
        self._thread.start()
        return self

    def _run_in_thread(self) -> None:
        try:
            self._outcome["summary"] = self._run_locked()
        except BaseException as exc:
            self._outcome["error"] = exc

    def join(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Wait for a run started with `start()`.

        Args:
            timeout: seconds to wait at most (None: until the end).

        Returns:
            The run summary, or None when the run is still going after `timeout`.

        Raises:
            Whatever ended the run early (a failing detector, an output folder already in use).
        """
        if self._thread is None:
            return self._outcome.get("summary")
        self._thread.join(timeout)
        if self._thread.is_alive():
            return None
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome.get("summary")

    def run(self) -> dict[str, Any]:
        """Run to the end on the calling thread and return the run summary."""
        if not self._running.acquire(blocking=False):
            raise StreamError("the pipeline is already running")
        self._reset()
        return self._run_locked()

    def results(self, buffer: int = 64) -> Iterator[FrameResult]:
        """Every result, in order per source, as the pipeline makes them (starts the run).

        Args:
            buffer: results held for a slow reader before the pipeline waits (files) or drops (live sources).

        Yields:
            `FrameResult`s until the run ends; leaving the loop early stops the run.
        """
        if self.running:
            raise StreamError("results() starts the run: call it instead of start(), not after")
        tap = ResultTap(buffer)
        self._taps.append(tap)
        try:
            self.start()
        except BaseException:
            self._taps.remove(tap)
            raise
        finished = False
        try:
            while True:
                item = tap.items.get()
                if item is ResultTap.DONE:
                    finished = True
                    break
                yield item
        finally:
            tap.abandoned.set()
            if not finished:
                self.stop()
            self.join()
            self._taps.remove(tap)

    def close(self) -> None:
        """Stop a run in progress and release the detectors' engines."""
        if self.running:
            self.stop()
            self.join()
        for detector in (self.detector, self.person_detector):
            close = getattr(detector, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one run ----------------------------------------------------------------------------
    def _run_locked(self) -> dict[str, Any]:
        self.monitor = None
        try:
            if self.config.serve:  # a port that cannot be served fails before anything is written
                from stream.monitor.server import Monitor

                self.monitor = Monitor(self, self.config.serve).start()
            sinks = list(self.sinks)
            if self.parts is not None:
                sinks += self.parts.build_sinks()
            if self.on_result is not None:
                sinks.append((CallbackSink(self.on_result), None))
            sinks += [(tap, None) for tap in self._taps]
            if self.monitor is not None:
                sinks.append((self.monitor.frames, False))  # the live view never slows the run down
            return self._run(sinks)
        finally:
            if self.monitor is not None:
                self.monitor.stop()
            self._running.release()

    def _run(self, sinks: list[tuple[Sink, bool | None]]) -> dict[str, Any]:
        configure_ffmpeg_capture()
        self.workers = [SinkWorker(sink, block=block) for sink, block in sinks]
        for runner in self.runners:
            runner.start()
        progress = tqdm(total=None, unit="frame", desc="frames", disable=not self.config.progress or self._any_live())
        try:
            self._loop(progress)
        finally:
            self._finish(progress)
        return self._summary_written()

    def _any_live(self) -> bool:
        return any(r.reader.live or r.realtime for r in self.runners)

    def _finish(self, progress: tqdm) -> None:
        """Stop the readers, deliver the end-of-run events and close every sink (runs to the end)."""
        for runner in self.runners:
            runner.stop()
        self.queue.close()
        self.discarded += self.queue.discard()
        for runner in self.runners:
            runner.join(timeout=15)
        final = EndEvents()
        for stage in self.stages:
            try:
                stage.amend(final)
                final += stage.finish()
            except Exception:
                log.exception("stage %s failed to finish", stage.name)
        for worker in self.workers:
            worker.submit(final)
        for worker in self.workers:
            worker.close(60.0)
        progress.close()

    def _summary_written(self) -> dict[str, Any]:
        summary = self.summary()
        if self.summary_path is not None:
            try:
                write_json_atomically(self.summary_path, summary)
            except OSError as exc:
                summary["summary_error"] = f"cannot write {self.summary_path}: {exc.strerror or exc}"
                log.error(summary["summary_error"])
        return summary

    def _loop(self, progress: tqdm) -> None:
        stopping = False
        settings = self.config.detector
        next_stats = time.monotonic() + self.config.stats_interval_s
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
            batch = self.queue.get_batch(settings.batch_size, settings.max_wait_ms / 1000)
            if batch:
                self._process(batch)
                self._update_progress(progress, len(batch))
            elif all(runner.finished for runner in self.runners) and len(self.queue) == 0:
                return
            if time.monotonic() >= next_stats and self._any_live():
                log.info(self.stats_line())
                next_stats = time.monotonic() + self.config.stats_interval_s

    def _process(self, batch) -> None:
        started = time.monotonic()
        for frame in batch:
            self.stats.add_latency("queue_wait", started - frame.read_monotonic)
        results, infer_s = self.inference.process(batch)
        for stage in self.stages:
            stage.process(results)
        if any(not r.reused for r in results):
            self.stats.detector_runs += 1
            self.stats.add_latency("inference", infer_s)
        done = time.monotonic()
        block = not self._any_live()
        for result in results:
            result.latency_s = done - result.frame.read_monotonic
            self.stats.add_latency("end_to_end", result.latency_s)
            for worker in self.workers:
                worker.submit(result, block=block)
            self.stats.count_processed(result.frame.source_id)

    def _update_progress(self, progress: tqdm, n: int) -> None:
        if progress.total is None:
            counts = [r.reader.frame_count for r in self.runners]
            if all(c is not None for c in counts):
                progress.total = sum(c for c in counts if c is not None)
        progress.update(n)

    # --- reporting --------------------------------------------------------------------------
    def stats_line(self) -> str:
        """The live stats line: per-source state and rates over the last interval, latencies, failed sinks."""
        interval = self.stats.interval({r.source_id: r.frames_read for r in self.runners})
        return stats_line(interval, {r.source_id: r.state.value for r in self.runners}, dict(self.queue.dropped),
                          len(self.queue), [w.sink.name for w in self.workers if w.failed])

    def summary(self) -> dict[str, Any]:
        """Per-source outcome, run statistics and per-sink counts of the last run."""
        sources = {}
        for runner in self.runners:
            reader = runner.reader
            truncated = runner.state == SourceState.ENDED and not self._stop.is_set() and self.fatal is None and reader.truncated
            sources[runner.source_id] = {
                "state": runner.state.value,
                "error": runner.error,
                "frames_read": runner.frames_read,
                "frames_processed": self.stats.processed[runner.source_id],
                "frame_count": reader.frame_count,
                "skipped": reader.skipped,
                "truncated": truncated,
                "live": reader.live,
                "outages": runner.outages,
                "reconnects": runner.reconnects,
                "stale": getattr(reader, "stale", 0),
                "dropped": self.queue.dropped.get(runner.source_id, 0) + getattr(reader, "overflow", 0),
                "pts_corrections": runner.pts_corrections,
            }
        stats = self.stats.snapshot(queue_depth=len(self.queue), drops=dict(self.queue.dropped),
                                    reconnects={r.source_id: r.reconnects for r in self.runners},
                                    frames_read=sum(r.frames_read for r in self.runners))
        return {
            "interrupted": self.interrupted,
            "fatal": self.fatal,
            "discarded": self.discarded,
            "sources": sources,
            "stats": stats,
            "sinks": {w.sink.name: {"written": w.written, "dropped": w.dropped, "error": w.error} for w in self.workers},
            "outputs": self.parts.listed_outputs() if self.parts is not None else [],
        }
