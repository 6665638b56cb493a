"""Bounded producer-consumer queue between frame readers and the inference worker.

Each source puts with its own policy:
  * `block`: the reader waits for room; no frame is ever lost (files, folders).
  * `drop_oldest`: when full, the oldest waiting frame of that source is dropped (live
    cameras), so latency stays bounded; if none of its frames waits, the new one is dropped.
Every drop is counted per source. `close()` wakes everyone: puts return False, gets drain
what is left and then return an empty batch.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Literal

from stream.frames import Frame

QueuePolicy = Literal["block", "drop_oldest"]


class FrameQueue:
    """A FIFO of frames with a capacity, per-source drop policies and drop counters."""

    def __init__(self, maxsize: int = 32) -> None:
        if maxsize < 1:
            raise ValueError("queue maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: deque[Frame] = deque()
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._closed = False
        self.dropped: Counter[str] = Counter()

    def put(self, frame: Frame, policy: QueuePolicy = "block", timeout: float | None = None) -> bool:
        """Add a frame. Returns False when the queue is closed (or a blocking put timed out)."""
        with self._lock:
            if policy == "block":
                deadline = None if timeout is None else time.monotonic() + timeout
                while len(self._items) >= self.maxsize and not self._closed:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._not_full.wait(remaining)
            if self._closed:
                return False
            if len(self._items) >= self.maxsize and not self._drop_oldest_of(frame.source_id):
                self.dropped[frame.source_id] += 1
                return True
            self._items.append(frame)
            self._not_empty.notify()
            return True

    def _drop_oldest_of(self, source_id: str) -> bool:
        for i, waiting in enumerate(self._items):
            if waiting.source_id == source_id:
                del self._items[i]
                self.dropped[source_id] += 1
                return True
        return False

    def get_batch(self, max_items: int, max_wait_s: float, idle_timeout_s: float = 0.1) -> list[Frame]:
        """Up to `max_items` frames: waits up to `idle_timeout_s` for the first one, then up to
        `max_wait_s` for the batch to fill. An empty list means nothing came (or closed and empty)."""
        with self._lock:
            if not self._items and not self._closed:
                self._not_empty.wait(idle_timeout_s)
            if not self._items:
                return []
            deadline = time.monotonic() + max_wait_s
            while len(self._items) < max_items and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._not_empty.wait(remaining)
            batch = [self._items.popleft() for _ in range(min(max_items, len(self._items)))]
            self._not_full.notify_all()
            return batch

    def close(self) -> None:
        """No more puts; wake every waiting producer and consumer."""
        with self._lock:
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
