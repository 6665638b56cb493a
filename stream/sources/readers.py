"""Frame readers for files and folders, the reader contract, and the choice of reader for a URI.

Readers only read: `open()` (raise `ReaderError` with a one-line reason), `read()` -> (BGR
image, presentation time in seconds or None) or None at the end or on a loss, `close()`.
Reconnecting, pacing and queueing belong to `SourceRunner`. Cameras and network streams are
read by `stream.sources.capture.CaptureReader`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import av
import cv2
import numpy as np

from stream.errors import ImageReadError, StreamError
from stream.image_files import IMAGE_SUFFIXES, find_images, read_image
from stream.sources.uri import is_network, is_webcam

log = logging.getLogger(__name__)
MAX_BAD_FRAMES_IN_A_ROW = 50  # a damaged stretch longer than this ends the file


class ReaderError(StreamError):
    """A source cannot be opened or read; `permanent` ones are not retried (a missing webcam,
    a URL that serves a web page)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class FrameReader(Protocol):
    """What `SourceRunner` needs from a reader.

    `live` is True when frames come at the source's own pace and a loss should be retried; a
    network reader finds out when it opens (an MP4 served over HTTP is finite). `skipped` counts
    frames passed over because they could not be decoded; `truncated` is True when a finite
    source stopped before its last frame (a cut-off or corrupt file).
    """

    live: bool
    fps: float | None
    frame_count: int | None
    skipped: int

    @property
    def truncated(self) -> bool: ...

    def open(self) -> None: ...

    def read(self) -> tuple[np.ndarray, float | None] | None: ...

    def close(self) -> None: ...


def recorded_start(path: Path) -> float | None:
    """When a video file's recording began (its container's `creation_time`, Unix seconds), or None.

    Args:
        path: the video file.

    Returns:
        The time, or None when the file does not say (or says nonsense, such as 1904 or 1970).
    """
    try:
        with av.open(str(path)) as container:
            stamp = container.metadata.get("creation_time")
    except (av.FFmpegError, OSError):
        return None
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() if when.year >= 1990 else None


def capture_fps(capture: cv2.VideoCapture) -> float | None:
    """The frame rate a capture reports, or None when it reports nothing plausible."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 0 < fps < 1000 else None


def capture_frame_count(capture: cv2.VideoCapture) -> int | None:
    """The frame count a capture reports, or None (live streams report 0, -1 or nonsense)."""
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if 0 < count < 1e9 else None


class VideoFileReader:
    """A video file via OpenCV/FFmpeg; presentation times from the file's timestamps.

    Undecodable frames in a damaged stretch are skipped and counted; the file ends when the
    container has no frames left (or after `MAX_BAD_FRAMES_IN_A_ROW` failures in a row).
    """

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.capture: cv2.VideoCapture | None = None
        self.fps: float | None = None
        self.frame_count: int | None = None
        self.skipped = 0
        self.truncated = False
        self._attempted = 0
        self._last_pts = -1.0
        self.start_time: float | None = None  # when the recording began (Unix seconds), from its metadata

    def _ended_before_its_duration(self) -> bool:
        """The last frame read is well before the container's end (a cut-off file). Frames lost
        inside a damaged stretch do not count: the frames after it still reach the end."""
        if self.frame_count is None or not self.fps:
            return False
        frame_s = 1.0 / self.fps
        return self._last_pts + frame_s < 0.98 * self.frame_count * frame_s - frame_s

    def open(self) -> None:
        """Open the file (again, from its start)."""
        self.close()
        if not self.path.exists():
            raise ReaderError(f"video not found: {self.path}", permanent=True)
        if self.path.is_dir():
            raise ReaderError(f"{self.path} is a directory; use it as an image folder source", permanent=True)
        capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not capture.isOpened():
            capture.release()
            raise ReaderError(f"not a readable video: {self.path}", permanent=True)
        self.capture = capture
        self.fps = capture_fps(capture)
        self.frame_count = capture_frame_count(capture)
        self.start_time = recorded_start(self.path)
        self.skipped = self._attempted = 0
        self.truncated = False
        self._last_pts = -1.0

    def read(self) -> tuple[np.ndarray, float | None] | None:
        """The next decodable frame and its time, or None at the end."""
        if self.capture is None:
            return None
        failed = 0
        while True:
            ok, image = self.capture.read()
            self._attempted += 1
            if ok and image is not None:
                if failed:
                    self.skipped += failed
                    log.warning("%s: skipped %d undecodable frame(s) before frame %d", self.path, failed, self._attempted - 1)
                self._last_pts = self.capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                return image, self._last_pts
            failed += 1
            frames_left = self.frame_count is not None and self._attempted < self.frame_count
            if not frames_left or failed > MAX_BAD_FRAMES_IN_A_ROW:
                self.truncated = self._ended_before_its_duration()
                return None

    def close(self) -> None:
        """Release the file."""
        if self.capture is not None:
            self.capture.release()
            self.capture = None


class ImageFolderReader:
    """The images of a folder, sorted by name, played at `fps`; unreadable images are skipped
    (counted in `skipped`, named in `skipped_images`)."""

    live = False

    def __init__(self, path: str | Path, fps: float = 10.0) -> None:
        self.path = Path(path)
        self.fps: float | None = fps
        self.paths: list[Path] = []
        self.position = 0
        self.frame_count: int | None = None
        self.skipped = 0
        self.skipped_images: list[str] = []
        self.truncated = False

    def open(self) -> None:
        """List the folder's images and start from the first."""
        if not self.path.is_dir():
            raise ReaderError(f"image folder not found: {self.path}", permanent=True)
        self.paths = find_images([self.path])
        if not self.paths:
            raise ReaderError(f"no images in {self.path} (looked for {', '.join(IMAGE_SUFFIXES)})", permanent=True)
        self.frame_count = len(self.paths)
        self.position, self.skipped, self.skipped_images = 0, 0, []

    def read(self) -> tuple[np.ndarray, float | None] | None:
        """The next readable image, timed by its place in the folder; None after the last."""
        while self.position < len(self.paths):
            index, self.position = self.position, self.position + 1
            try:
                return read_image(self.paths[index]), index / (self.fps or 10.0)
            except ImageReadError as exc:
                self.skipped += 1
                if len(self.skipped_images) < 100:
                    self.skipped_images.append(self.paths[index].name)
                log.warning("skipping %s", exc)
        return None

    def close(self) -> None:
        """Nothing to release; reading stops."""
        self.position = len(self.paths)


def open_reader_for(uri: str, fps: float = 10.0, open_timeout_s: float = 10.0, stall_timeout_s: float = 5.0) -> FrameReader:
    """The reader a source URI calls for.

    Args:
        uri: a webcam index ('0'), a network URL (rtsp/http/...), an image folder or a video file.
        fps: the frame rate given to an image folder.
        open_timeout_s: how long a camera or stream may take to open.
        stall_timeout_s: a live source that sends no new frame for this long is lost.

    Returns:
        A reader, not yet opened.
    """
    from stream.sources.capture import CaptureReader

    if is_webcam(uri):
        return CaptureReader(int(uri), open_timeout_s=open_timeout_s, stall_timeout_s=stall_timeout_s)
    if is_network(uri):
        return CaptureReader(uri, open_timeout_s=open_timeout_s, stall_timeout_s=stall_timeout_s)
    path = uri.removeprefix("file://")
    if Path(path).is_dir():
        return ImageFolderReader(path, fps=fps)
    return VideoFileReader(path)
