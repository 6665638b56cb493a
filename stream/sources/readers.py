"""Frame readers: a video file, a folder of images, a webcam, a network stream.

Readers only read: `open()` (raise `ReaderError` with a one-line reason), `read()` -> (BGR
image, presentation time in seconds or None) or None at end/loss, `close()`. Reconnecting,
pacing and queueing belong to `SourceRunner`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from stream.errors import ImageReadError, StreamError
from stream.image_files import IMAGE_SUFFIXES, find_images, read_image

NETWORK_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
log = logging.getLogger(__name__)


class ReaderError(StreamError):
    """A source cannot be opened or read."""


class FrameReader(Protocol):
    """What `SourceRunner` needs from a reader."""

    live: bool
    fps: float | None
    frame_count: int | None

    def open(self) -> None: ...

    def read(self) -> tuple[np.ndarray, float | None] | None: ...

    def close(self) -> None: ...


def _capture_fps(capture: cv2.VideoCapture) -> float | None:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 0 < fps < 1000 else None


class VideoFileReader:
    """A video file via OpenCV/FFmpeg; presentation times from the file's timestamps."""

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.capture: cv2.VideoCapture | None = None
        self.fps: float | None = None
        self.frame_count: int | None = None

    def open(self) -> None:
        if not self.path.exists():
            raise ReaderError(f"video not found: {self.path}")
        if self.path.is_dir():
            raise ReaderError(f"{self.path} is a directory; use it as an image folder source")
        capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not capture.isOpened():
            raise ReaderError(f"not a readable video: {self.path}")
        self.capture = capture
        self.fps = _capture_fps(capture)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = count if count > 0 else None

    def read(self) -> tuple[np.ndarray, float | None] | None:
        ok, image = self.capture.read() if self.capture is not None else (False, None)
        if not ok or image is None:
            return None
        return image, self.capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None


class ImageFolderReader:
    """The images of a folder, sorted by name, played at `fps`; unreadable images are skipped."""

    live = False

    def __init__(self, path: str | Path, fps: float = 10.0) -> None:
        self.path = Path(path)
        self.fps = fps
        self.paths: list[Path] = []
        self.position = 0
        self.frame_count: int | None = None
        self.skipped: list[str] = []

    def open(self) -> None:
        if not self.path.is_dir():
            raise ReaderError(f"image folder not found: {self.path}")
        self.paths = find_images([self.path])
        if not self.paths:
            raise ReaderError(f"no images in {self.path} (looked for {', '.join(IMAGE_SUFFIXES)})")
        self.frame_count = len(self.paths)

    def read(self) -> tuple[np.ndarray, float | None] | None:
        while self.position < len(self.paths):
            index, self.position = self.position, self.position + 1
            try:
                return read_image(self.paths[index]), index / self.fps
            except ImageReadError as exc:
                self.skipped.append(str(exc))
                log.warning("skipping %s", exc)
        return None

    def close(self) -> None:
        self.position = len(self.paths)


class CaptureReader:
    """A webcam (integer index) or a network stream (rtsp/http/...), read through OpenCV.

    Network streams use FFmpeg with open/read timeouts: a stream that stays open but sends
    nothing for `read_timeout_s` makes `read()` return None (a stall is a loss).
    """

    live = True

    def __init__(self, uri: str | int, open_timeout_s: float = 10.0, read_timeout_s: float = 5.0) -> None:
        self.uri = uri
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.capture: cv2.VideoCapture | None = None
        self.fps: float | None = None
        self.frame_count = None

    @property
    def is_webcam(self) -> bool:
        return isinstance(self.uri, int)

    def open(self) -> None:
        if self.is_webcam:
            if os.name == "posix" and not Path(f"/dev/video{self.uri}").exists():
                raise ReaderError(f"webcam {self.uri} not found (no /dev/video{self.uri})")
            capture = cv2.VideoCapture(self.uri)
        else:
            if str(self.uri).startswith("rtsp"):
                os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout_s * 1000)]
            capture = cv2.VideoCapture(str(self.uri), cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            raise ReaderError(f"cannot open {'webcam ' if self.is_webcam else ''}{self.uri}")
        self.capture = capture
        self.fps = _capture_fps(capture)

    def read(self) -> tuple[np.ndarray, float | None] | None:
        if self.capture is None:
            return None
        started = time.monotonic()
        ok, image = self.capture.read()
        if not ok or image is None:
            log.debug("read from %s failed after %.1fs", self.uri, time.monotonic() - started)
            return None
        return image, None

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None


def open_reader_for(uri: str, fps: float = 10.0, open_timeout_s: float = 10.0, read_timeout_s: float = 5.0) -> FrameReader:
    """The reader a source URI calls for: webcam index, network URL, image folder or video file."""
    if uri.isdigit():
        return CaptureReader(int(uri))
    if uri.lower().startswith(NETWORK_SCHEMES):
        return CaptureReader(uri, open_timeout_s=open_timeout_s, read_timeout_s=read_timeout_s)
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    if Path(uri).is_dir():
        return ImageFolderReader(uri, fps=fps)
    return VideoFileReader(uri)
