"""Requests from many threads -> shared detector calls: a queue and one worker thread that takes
what is waiting (up to `batch_size`, waiting at most `max_wait_ms` for more), one call per image size."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import supervision as sv

from stream.tagging import ImageTagger

log = logging.getLogger(__name__)


@dataclass
class _Request:
    image: np.ndarray
    attributes: bool
    future: Future


class BatchingTagger:
    """Tags images submitted from any thread, in shared batches.

    Args:
        tagger: the detector, colours and attributes.
        batch_size: images per detector call.
        max_wait_ms: how long the first image of a batch waits for others.
    """

    def __init__(self, tagger: ImageTagger, batch_size: int = 8, max_wait_ms: float = 10.0) -> None:
        self.tagger = tagger
        self.batch_size = batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.batch_sizes: Counter[int] = Counter()  # batch size -> how many batches had it
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="tagger-batches", daemon=True)
        self._thread.start()

    def submit(self, image: np.ndarray, attributes: bool = True) -> Future:
        """Queue one BGR image; the future's result is its `sv.Detections`."""
        future: Future = Future()
        self._queue.put(_Request(image, attributes, future))
        return future

    def tag(self, image: np.ndarray, attributes: bool = True, timeout: float | None = None) -> sv.Detections:
        """Tag one image and wait for it (raises what the detector raised, or TimeoutError)."""
        return self.submit(image, attributes).result(timeout)

    def close(self) -> None:
        """Finish what is queued, then stop the worker."""
        self._queue.put(None)
        self._thread.join()

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = [first], False
            deadline = time.monotonic() + self.max_wait_s
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            batch = [r for r in batch if r.future.set_running_or_notify_cancel()]
            if batch:
                self._run(batch)
            if stop:
                return

    def _run(self, requests: list[_Request]) -> None:
        """One detector call per image size: YOLOS pads a batch to its largest image and padding
        moves scores a little, so an image's answer would depend on who shared its batch."""
        by_shape: dict[tuple[int, ...], list[_Request]] = {}
        for request in requests:
            by_shape.setdefault(request.image.shape, []).append(request)
        for batch in by_shape.values():
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Request]) -> None:
        self.batch_sizes[len(batch)] += 1
        try:
            found = self.tagger.tag([r.image for r in batch], [r.attributes for r in batch])
        except Exception as exc:  # every request of the batch gets the error; the worker goes on
            log.exception("tagging a batch of %d failed", len(batch))
            for request in batch:
                request.future.set_exception(exc)
            return
        for request, detections in zip(batch, found):
            request.future.set_result(detections)
