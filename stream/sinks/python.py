"""Sinks that hand results to Python code: a callback, and the queue behind `Pipeline.results()`.
Built by the pipeline itself (not configured by type)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from stream.frames import FrameResult
from stream.sinks.base import Sink


class CallbackSink(Sink):
    """Calls a function with every result (on the sink's own thread)."""

    name = "on_result"

    def __init__(self, callback: Callable[[FrameResult], Any]) -> None:
        self.callback = callback

    def write(self, result: FrameResult) -> None:
        """Hand the result to the callback."""
        self.callback(result)


class ResultTap(Sink):
    """Feeds `Pipeline.results()`: results into a bounded queue the generator reads."""

    name = "results"
    DONE = object()

    def __init__(self, size: int) -> None:
        self.items: queue.Queue = queue.Queue(size)
        self.abandoned = threading.Event()

    def _put(self, item: object) -> None:
        while not self.abandoned.is_set():
            try:
                self.items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def write(self, result: FrameResult) -> None:
        self._put(result)

    def close(self) -> None:
        self._put(self.DONE)
