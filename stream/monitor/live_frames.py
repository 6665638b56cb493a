"""The live view's sink: each source's latest annotated frame (as JPEG, at most `max_fps` a second),
the people in view with their outfits, and the recent processed rate. Draws; never infers."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import cv2

from stream.annotate import ResultAnnotator
from stream.detections import track_ids
from stream.frames import FrameResult
from stream.sinks.base import Sink

RATE_WINDOW_S = 5.0


@dataclass
class SourceView:
    """What the live view shows of one source."""

    jpeg: bytes = b""
    frame: int = -1
    time: float = 0.0
    people: list[dict[str, Any]] = field(default_factory=list)
    garments: int = 0
    encoded_at: float = 0.0  # monotonic time of the last JPEG
    processed: deque = field(default_factory=lambda: deque(maxlen=2000))  # monotonic times of processed frames

    def processed_fps(self, now: float) -> float:
        """Frames processed a second over the last few seconds."""
        recent = [t for t in self.processed if now - t <= RATE_WINDOW_S]
        return round(len(recent) / RATE_WINDOW_S, 2)


class LiveFrames(Sink):
    """Keeps what the live page shows; `wait_frame` lets MJPEG streams sleep until a new frame."""

    name = "live"

    def __init__(self, max_fps: float = 10.0, quality: int = 75) -> None:
        self.max_fps = max_fps
        self.quality = quality
        self.annotator = ResultAnnotator()
        self.views: dict[str, SourceView] = {}
        self._changed = threading.Condition()

    def write(self, result: FrameResult) -> None:
        """Note the frame; encode it when the source's last JPEG is older than 1/max_fps."""
        source = result.frame.source_id
        now = time.monotonic()
        view = self.views.setdefault(source, SourceView())
        view.processed.append(now)
        view.frame, view.time = result.frame.index, result.frame.wall_time
        view.people = [{"person": int(person), "outfit": {slot: entry.label + ("?" if entry.provisional else "")
                                                          for slot, entry in result.outfits.get(int(person), {}).items() if entry.label}}
                       for person in track_ids(result.people)]
        view.garments = len(result.garments)
        if now - view.encoded_at < 1.0 / self.max_fps:
            return
        view.encoded_at = now
        ok, encoded = cv2.imencode(".jpg", self.annotator.annotate(result), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if ok:
            with self._changed:
                view.jpeg = encoded.tobytes()
                self._changed.notify_all()

    def wait_frame(self, source: str, after: bytes | None, timeout: float) -> bytes | None:
        """The source's latest JPEG once it differs from `after` (None after `timeout` seconds without one)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                view = self.views.get(source)
                if view is not None and view.jpeg and view.jpeg is not after:
                    return view.jpeg
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)

    def wake(self) -> None:
        """Wake every waiting stream (the run is ending)."""
        with self._changed:
            self._changed.notify_all()
