"""The sink contract and the thread that isolates each sink from the others."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Protocol

from stream.frames import FrameResult

log = logging.getLogger(__name__)
_CLOSE = object()


class Sink(Protocol):
    """Stores or shows results; `close()` must finalize whatever it wrote."""

    name: str

    def write(self, result: FrameResult) -> None: ...

    def close(self) -> None: ...


class EndEvents(list):
    """Events raised when the run ends (people still in view leave); for sinks with `write_events`."""


class SinkWorker:
    """Runs one sink on its own thread behind its own bounded queue.

    A sink that raises is marked failed, closed (so what it wrote is finalized) and skipped from
    then on; the other sinks go on. `block=True` makes `submit` wait when the sink lags (no
    result lost, for offline runs); `block=False` drops results for a lagging sink and counts them.
    """

    def __init__(self, sink: Sink, maxsize: int = 64, block: bool = True) -> None:
        self.sink = sink
        self.block = block
        self.written = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name=f"sink-{sink.name}", daemon=True)
        self._thread.start()

    def submit(self, result: FrameResult) -> None:
        if self.error is not None:
            return
        if self.block:
            while self.error is None:
                try:
                    self._queue.put(result, timeout=0.5)
                    return
                except queue.Full:
                    continue
        else:
            try:
                self._queue.put_nowait(result)
            except queue.Full:
                self.dropped += 1

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _CLOSE:
                    return
                if self.error is None:
                    try:
                        if isinstance(item, EndEvents):
                            if hasattr(self.sink, "write_events"):
                                self.sink.write_events(list(item))
                            continue
                        self.sink.write(item)
                        self.written += 1
                    except Exception as exc:  # noqa: BLE001 - isolate a failing sink
                        self.error = f"sink {self.sink.name} failed: {type(exc).__name__}: {exc}"
                        log.error(self.error)
        finally:
            try:
                self.sink.close()
            except Exception as exc:  # noqa: BLE001
                self.error = self.error or f"sink {self.sink.name} failed to close: {exc}"
                log.error(self.error)

    def close(self, timeout: float = 60.0) -> None:
        """Write what was accepted, then finalize the sink."""
        while self._thread.is_alive():
            try:
                self._queue.put(_CLOSE, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join(timeout)
