"""Bounded producer-consumer queue between frame readers and the inference worker.

Each source has its own bounded lane (`maxsize` frames) and puts with its own policy:
  * `block`: the reader waits for room in its lane; no frame is ever lost (files, folders).
  * `drop_oldest`: when its lane is full, the oldest waiting frame of that source is dropped
    (live cameras), so latency stays bounded.
Batches are taken round-robin across the lanes, so a lossless file that always has frames
waiting cannot starve a camera in the same run: every source with a frame waiting gets its turn.
Every drop is counted per source. `close()` wakes everyone: puts return False, gets drain what is
left and then return an empty batch.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque

from stream.frames import Frame
from stream.sources.settings import QueuePolicy


class FrameQueue:
    """Per-source FIFO lanes with a capacity each, drop policies, drop counters and fair batches."""

    def __init__(self, maxsize: int = 32) -> None:
        """Args:
            maxsize: frames each source may have waiting (at least 1).
        """
        if maxsize < 1:
            raise ValueError("queue maxsize must be at least 1")
        self.maxsize = maxsize
        self._lanes: dict[str, deque[Frame]] = {}
        self._turn = 0  # index of the lane that goes first in the next batch
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._closed = False
        self.dropped: Counter[str] = Counter()

    def _lane(self, source_id: str) -> deque[Frame]:
        lane = self._lanes.get(source_id)
        if lane is None:
            lane = self._lanes[source_id] = deque()
        return lane

    def put(self, frame: Frame, policy: QueuePolicy = "block", timeout: float | None = None) -> bool:
        """Add a frame to its source's lane.

        Args:
            frame: the frame; its `source_id` picks the lane.
            policy: `block` waits for room, `drop_oldest` makes room by dropping the lane's oldest frame.
            timeout: for `block`, give up after this many seconds (None: wait as long as it takes).

        Returns:
            False when the queue is closed (or a blocking put timed out), else True.
        """
        with self._lock:
            lane = self._lane(frame.source_id)
            if policy == "block":
                deadline = None if timeout is None else time.monotonic() + timeout
                while len(lane) >= self.maxsize and not self._closed:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._not_full.wait(remaining)
            if self._closed:
                return False
            if len(lane) >= self.maxsize:
                lane.popleft()
                self.dropped[frame.source_id] += 1
            lane.append(frame)
            self._not_empty.notify()
            return True

    def _size(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    def _all_lanes_full(self) -> bool:
        return all(len(lane) >= self.maxsize for lane in self._lanes.values())

    def _take_round_robin(self, max_items: int) -> list[Frame]:
        lanes = list(self._lanes.values())
        batch: list[Frame] = []
        start = self._turn % len(lanes)
        while len(batch) < max_items and any(lanes):
            for lane in lanes[start:] + lanes[:start]:
                if lane and len(batch) < max_items:
                    batch.append(lane.popleft())
        self._turn = start + 1
        return batch

    def get_batch(self, max_items: int, max_wait_s: float, idle_timeout_s: float = 0.1) -> list[Frame]:
        """Up to `max_items` frames, taken in turn from each source with frames waiting.

        Args:
            max_items: the batch size.
            max_wait_s: once a first frame is there, how long to wait for the batch to fill; the
                wait ends early when every lane is full (no frame can come before a get).
            idle_timeout_s: how long to wait for a first frame.

        Returns:
            The frames (per-source order kept); an empty list means nothing came (or closed and empty).
        """
        with self._lock:
            if not self._size() and not self._closed:
                self._not_empty.wait(idle_timeout_s)
            if not self._size():
                return []
            deadline = time.monotonic() + max_wait_s
            while self._size() < max_items and not self._closed and not self._all_lanes_full():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._not_empty.wait(remaining)
            batch = self._take_round_robin(max_items)
            self._not_full.notify_all()
            return batch

    def discard(self) -> int:
        """Drop every waiting frame (a stop that must not wait for the backlog); returns how many."""
        with self._lock:
            count = self._size()
            for lane in self._lanes.values():
                lane.clear()
            self._not_full.notify_all()
            return count

    def close(self) -> None:
        """No more puts; wake every waiting producer and consumer."""
        with self._lock:
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._closed

    def __len__(self) -> int:
        with self._lock:
            return self._size()
