"""The sink contract and the thread that isolates each sink from the others."""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stream.frames import FrameResult
from stream.registry import PartSettings, Registry

log = logging.getLogger(__name__)
_CLOSE = object()


class SinkSettings(PartSettings):
    """One entry of the `sinks:` list of a run config; each sink type adds its own keys."""

    path: str | None = Field(None, description="where it writes (default: inside output_dir)")
    block: bool | None = Field(None, description="wait for a lagging sink (default: yes unless a source is live)")

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        """The files or folders this sink writes in a run (checked before a run starts)."""
        return []


class Sink:
    """Stores or shows results; never infers. Subclasses override what they need.

    The contract, called from the sink's own thread, in this order:
      * `write(result)` for every frame result;
      * `write_events(events)` once at the end of the run with the events the run's end raised
        (people still in view leave); ignored by sinks that do not store events;
      * `flush()` whenever the sink has been idle for a while (so a live run's records reach the
        disk during an outage, not only when the next frame comes);
      * `close()` exactly once, also after a failure: finalize whatever was written.
    A method that raises marks the sink failed; its error names the file it could not write.
    """

    name = "sink"

    def write(self, result: FrameResult) -> None:
        """Store one frame result."""

    def write_events(self, events: list[dict[str, Any]]) -> None:
        """Store the events raised when the run ended."""

    def flush(self) -> None:
        """Push buffered records to storage."""

    def close(self) -> None:
        """Finalize what was written."""


class FileSinkSettings(SinkSettings):
    """Settings of a sink that writes one file: `path`, else `default_name` inside output_dir."""

    default_name: ClassVar[str] = ""

    def file(self, out_dir: Path) -> Path:
        """The file written."""
        return Path(self.path) if self.path else out_dir / self.default_name

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        return [self.file(out_dir)]


class LinesSinkSettings(FileSinkSettings):
    """A JSON-lines file sink, rotated by size or age (for runs that go on for days)."""

    rotate_mb: float | None = Field(None, gt=0, description="start a new file past this size; the old one gets its UTC start time in its name")
    rotate_s: float | None = Field(None, gt=0, description="start a new file after this many seconds (86400: daily)")

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        file = self.file(out_dir)
        return [file, *sorted(file.parent.glob(f"{file.stem}.*{file.suffix}"))]

    def rotation(self) -> tuple[float | None, float | None]:
        """(bytes, seconds) that start a new file."""
        return (self.rotate_mb * 1e6 if self.rotate_mb else None), self.rotate_s


SINKS: Registry[Sink] = Registry("sink")


class EndEvents(list):
    """Events raised when the run ends; delivered through `Sink.write_events`."""


def describe_failure(sink: Sink, exc: BaseException) -> str:
    """One line naming the sink, the file and the reason (e.g. 'No space left on device')."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename or getattr(sink, "path", None) or getattr(sink, "folder", None)
        return f"sink {sink.name} cannot write {where}: {exc.strerror}" if where else f"sink {sink.name}: {exc.strerror}"
    return f"sink {sink.name} failed: {type(exc).__name__}: {exc}"


class SinkWorker:
    """Runs one sink on its own thread behind its own bounded queue.

    A sink that raises is marked failed, closed (so what it wrote is finalized) and skipped from
    then on; the other sinks go on. `block=True` makes `submit` wait when the sink lags (no
    result lost, for offline runs); `block=False` drops results for a lagging sink and counts
    them; `block=None` leaves it to each `submit` call. The sink is flushed after `flush_s`
    seconds without a result.
    """

    def __init__(self, sink: Sink, maxsize: int = 64, block: bool | None = True, flush_s: float = 1.0) -> None:
        self.sink = sink
        self.block = block
        self.flush_s = flush_s
        self.written = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name=f"sink-{sink.name}", daemon=True)
        self._thread.start()

    @property
    def failed(self) -> bool:
        """True once the sink raised (or did not close in time)."""
        return self.error is not None

    def submit(self, item: FrameResult | EndEvents, block: bool = True) -> None:
        """Hand a result (or the end-of-run events) to the sink.

        Args:
            item: the result, or `EndEvents`, which is always delivered (waits for room).
            block: used when the worker's own `block` is None: wait for room (True) or drop.
        """
        if self.error is not None:
            return
        wait = True if isinstance(item, EndEvents) else (self.block if self.block is not None else block)
        if wait:
            while self.error is None and self._thread.is_alive():
                try:
                    self._queue.put(item, timeout=0.5)
                    return
                except queue.Full:
                    continue
        else:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self.dropped += 1

    def _fail(self, exc: BaseException) -> None:
        self.error = describe_failure(self.sink, exc)
        log.error(self.error)

    def _run(self) -> None:
        last_write = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self.flush_s)
                except queue.Empty:
                    if self.error is None and time.monotonic() - last_write >= self.flush_s:
                        try:
                            self.sink.flush()
                        except Exception as exc:
                            self._fail(exc)
                    continue
                if item is _CLOSE:
                    return
                if self.error is not None:
                    continue
                try:
                    if isinstance(item, EndEvents):
                        self.sink.write_events(list(item))
                    else:
                        self.sink.write(item)
                        self.written += 1
                    last_write = time.monotonic()
                except Exception as exc:
                    self._fail(exc)
        finally:
            try:
                self.sink.close()
            except Exception as exc:
                if self.error is None:
                    self._fail(exc)

    def close(self, timeout: float = 60.0) -> None:
        """Write what was accepted, then finalize the sink; a sink still finalizing after
        `timeout` seconds is reported as failed (not left running behind a finished run)."""
        while self._thread.is_alive():
            try:
                self._queue.put(_CLOSE, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.error = self.error or f"sink {self.sink.name} did not finish closing within {timeout:.0f} s"
            log.error(self.error)
