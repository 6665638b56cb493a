"""Cameras and network streams: webcams (an index) and URLs (rtsp, http(s) MJPEG/HLS/MP4, ...).

A capture is read on its own small thread into a short buffer, so a stall is noticed by the
*arrival* of new frames, not by a read that fails: OpenCV's FFmpeg backend keeps returning
buffered frames, each after its read timeout, once a camera freezes. `read()` waits for a fresh
frame until `stall_timeout_s` has passed without one, then reports the loss (None) and the
runner reconnects; the abandoned capture is released by its thread when its last read returns.
A frame whose stream timestamp lags the arrival clock by much more than the frames before it
(a buffered frame let out after a freeze) is stale: dropped and counted, never stamped as new.

Whether a stream is live or finite is decided from what it reports once open: an MP4 served
over HTTP has a frame count and ends; a camera has none and is reconnected when lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from typing import Literal, NamedTuple

import cv2
import numpy as np

from stream.sources.readers import ReaderError, capture_fps, capture_frame_count
from stream.sources.uri import redact, without_userinfo

log = logging.getLogger(__name__)
FFMPEG_CAPTURE_OPTIONS = "rtsp_transport;tcp"  # cameras behind NAT and lossy links need TCP
TIMED_OUT: Literal["timed out"] = "timed out"


class Grabbed(NamedTuple):
    """A frame as the capture thread read it."""

    image: np.ndarray
    stream_ms: float
    arrival: float


def configure_ffmpeg_capture() -> None:
    """Set FFmpeg's capture options once, before any capture opens (RTSP over TCP); a value the
    user set in OPENCV_FFMPEG_CAPTURE_OPTIONS wins."""
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", FFMPEG_CAPTURE_OPTIONS)


class _Grabber:
    """Reads one open capture on a daemon thread into a small buffer; releases it when done.

    A finite stream's grabber waits for room (no frame lost); a live one drops its oldest
    buffered frame instead (counted in `overflow`).
    """

    def __init__(self, capture: cv2.VideoCapture, name: str, live: bool, size: int = 4) -> None:
        self.capture, self.live, self.size = capture, live, size
        self.items: deque[Grabbed] = deque()
        self.cond = threading.Condition()
        self.ended = self.stopped = False
        self.overflow = 0
        self.thread = threading.Thread(target=self._run, name=f"grab-{name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stopped:
                ok, image = self.capture.read()
                arrival = time.monotonic()
                if not ok or image is None:
                    return
                stream_ms = self.capture.get(cv2.CAP_PROP_POS_MSEC)
                with self.cond:
                    while not self.live and len(self.items) >= self.size and not self.stopped:
                        self.cond.wait(0.5)
                    if len(self.items) >= self.size:
                        self.items.popleft()
                        self.overflow += 1
                    self.items.append(Grabbed(image, stream_ms, arrival))
                    self.cond.notify_all()
        except Exception:
            log.debug("capture thread ended with an error", exc_info=True)
        finally:
            self.capture.release()
            with self.cond:
                self.ended = True
                self.cond.notify_all()

    def get(self, deadline: float | None) -> Grabbed | Literal["timed out"] | None:
        """The next buffered frame, None once the capture ended, or TIMED_OUT when `deadline`
        (a time.monotonic() value; None: no limit) passed first."""
        with self.cond:
            while not self.items and not self.ended:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return TIMED_OUT
                self.cond.wait(remaining)
            if not self.items:
                return None
            item = self.items.popleft()
            self.cond.notify_all()
            return item

    def stop(self) -> None:
        """Stop after the read in progress; the thread then releases the capture."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


def missing_webcam(index: int) -> str | None:
    """Why webcam `index` cannot exist (on Linux, no /dev/videoN), or None."""
    if sys.platform.startswith("linux") and not Path(f"/dev/video{index}").exists():
        return f"webcam {index} not found (no /dev/video{index})"
    return None


def http_problem(url: str, timeout_s: float) -> str | None:
    """Why an http(s) URL that FFmpeg could not open will not become a video stream by retrying
    (it serves a web page, or answers 401/403/404/410), or None when a retry may help."""
    try:
        with urllib.request.urlopen(urllib.request.Request(without_userinfo(url), headers={"Range": "bytes=0-1023"}), timeout=timeout_s) as reply:
            kind = reply.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return f"the server answers HTTP {exc.code} ({exc.reason})" if exc.code in (401, 403, 404, 410) else None
    except (OSError, ValueError):
        return None
    if kind in ("text/html", "application/xhtml+xml", "application/json", "text/plain"):
        return f"not a video stream: the server returns a {kind} page"
    return None


class CaptureReader:
    """A webcam (integer index) or a network stream, read through OpenCV's FFmpeg backend.

    Args:
        uri: webcam index or URL (credentials allowed; they are never logged).
        open_timeout_s: how long opening may take.
        stall_timeout_s: a live stream with no new frame for this long is lost.
    """

    def __init__(self, uri: str | int, open_timeout_s: float = 10.0, stall_timeout_s: float = 5.0) -> None:
        self.uri = uri
        self.name = f"webcam {uri}" if isinstance(uri, int) else redact(uri)
        self.open_timeout_s = open_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.live = True  # until an opened stream reports a frame count
        self.fps: float | None = None
        self.frame_count: int | None = None
        self.skipped = 0
        self.frames = 0
        self.stale = 0
        self._overflow_before = 0
        self._grabber: _Grabber | None = None
        self._last_lag: float | None = None

    @property
    def is_webcam(self) -> bool:
        """True for a webcam index."""
        return isinstance(self.uri, int)

    @property
    def truncated(self) -> bool:
        """A finite stream (an MP4 over HTTP) that ended well before its frame count."""
        return not self.live and self.frame_count is not None and self.frames < 0.99 * self.frame_count - 1

    @property
    def overflow(self) -> int:
        """Frames the capture thread dropped because the runner did not take them in time."""
        return self._overflow_before + (self._grabber.overflow if self._grabber else 0)

    def open(self) -> None:
        """Connect; raises ReaderError (permanent when retrying cannot help)."""
        self.close()
        if self.is_webcam:
            missing = missing_webcam(int(self.uri))
            if missing:
                raise ReaderError(missing, permanent=True)
            capture = cv2.VideoCapture(self.uri)
        else:
            # FFmpeg's own read timeout is left longer than the stall timeout: stalls are noticed here
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int((self.stall_timeout_s + 2.0) * 1000)]
            capture = cv2.VideoCapture(str(self.uri), cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            problem = None if self.is_webcam or not str(self.uri).lower().startswith("http") else http_problem(str(self.uri), self.open_timeout_s)
            if problem:
                raise ReaderError(f"{self.name}: {problem}", permanent=True)
            raise ReaderError(f"cannot open {self.name}")
        self.fps = capture_fps(capture)
        self.frame_count = capture_frame_count(capture) if not self.is_webcam else None
        self.live = self.frame_count is None
        self.frames = 0
        self._last_lag = None
        self._grabber = _Grabber(capture, self.name, self.live)

    def _is_stale(self, stream_ms: float, arrival: float) -> bool:
        """A frame that arrives much later, relative to its stream time, than the fresh frame before it."""
        if stream_ms <= 0:
            return False
        lag = arrival - stream_ms / 1000.0
        if self._last_lag is not None and lag - self._last_lag > max(1.0, self.stall_timeout_s / 2):
            return True
        self._last_lag = lag
        return False

    def read(self) -> tuple[np.ndarray, float | None] | None:
        """The next fresh frame (a finite stream's frames with their stream times), or None when
        the stream ended, was lost or stalled."""
        if self._grabber is None:
            return None
        deadline = time.monotonic() + self.stall_timeout_s
        while True:
            item = self._grabber.get(deadline if self.live else None)
            if item == TIMED_OUT:
                log.warning("%s: no new frame for %.1f s (stalled)", self.name, self.stall_timeout_s)
                return None
            if not isinstance(item, Grabbed):
                return None
            if self.live and self._is_stale(item.stream_ms, item.arrival):
                self.stale += 1
                continue
            self.frames += 1
            return item.image, None if self.live else item.stream_ms / 1000.0

    def close(self) -> None:
        """Stop reading at once; the capture thread releases the capture when its read in progress
        returns (FFmpeg's read timeout bounds that), and the process waits for it before exiting."""
        if self._grabber is not None:
            grabber, self._grabber = self._grabber, None
            grabber.stop()
            _closing[:] = [(thread, deadline) for thread, deadline in _closing if thread.is_alive()]  # bounded over hours
            _closing.append((grabber.thread, time.monotonic() + self.stall_timeout_s + 3.0))
            self._overflow_before += grabber.overflow


_closing: list[tuple[threading.Thread, float]] = []


@atexit.register
def _wait_for_closing_captures() -> None:
    """A capture thread still inside FFmpeg when the interpreter shuts down aborts the process
    ('FATAL: exception not rethrown'): wait for each one, up to its read timeout."""
    for thread, deadline in _closing:
        thread.join(max(0.0, deadline - time.monotonic()))
