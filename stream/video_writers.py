"""Video writers: H.264 as a fragmented MP4 through PyAV (its wheels carry libx264), which browsers
play and which stays readable up to its last complete fragment after a hard kill or a full disk;
OpenCV's MPEG-4 Part 2 as the fallback. Frames are placed at their index (constant rate) or, for
live sources, at their time, so a recording lasts as long as what it recorded."""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)
KEYFRAME_EVERY_S = 2.0
MS = Fraction(1, 1000)


class VideoWriter(Protocol):
    """Appends BGR frames of one size to a video file."""

    codec: str

    def write(self, image: np.ndarray, at_s: float | None = None) -> None: ...

    def close(self) -> None: ...


class H264Writer:
    """Fragmented-MP4 H.264 through PyAV; odd frame sizes are padded by one pixel (yuv420p)."""

    codec = "h264"

    def __init__(self, path: Path, fps: float, size_wh: tuple[int, int], timed: bool = False) -> None:
        import av

        self.path = path
        self.timed = timed  # frames placed at their time (milliseconds) instead of their index
        self.size_wh = (size_wh[0] + size_wh[0] % 2, size_wh[1] + size_wh[1] % 2)
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
        self.container = av.open(str(path), "w", format="mp4", options=options)
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.stream.width, self.stream.height = self.size_wh
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"preset": "veryfast", "crf": "23", "g": str(max(1, round(fps * KEYFRAME_EVERY_S)))}
        if timed:
            self.stream.codec_context.time_base = MS
            self.stream.time_base = MS
        self.frames = 0
        self._last_pts = -1
        self._last_key_s = 0.0
        self._good_size = 0  # bytes of complete fragments on disk
        self._failed = False

    def _mux(self, packets) -> None:
        try:
            for packet in packets:
                self.container.mux(packet)
                self._good_size = os.path.getsize(self.path)
        except OSError as exc:
            self._failed = True
            self._cut_back()
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from exc

    def _cut_back(self) -> None:
        try:
            os.truncate(self.path, self._good_size)
        except OSError:
            pass

    def write(self, image: np.ndarray, at_s: float | None = None) -> None:
        """Encode one frame: at `at_s` seconds from the start when the writer is timed, else at its index."""
        import av
        from av.video.frame import PictureType

        height, width = image.shape[:2]
        if (width, height) != self.size_wh:
            image = cv2.copyMakeBorder(image, 0, self.size_wh[1] - height, 0, self.size_wh[0] - width, cv2.BORDER_REPLICATE)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        if self.timed and at_s is not None:
            frame.pts = self._last_pts = max(self._last_pts + 1, round(at_s * 1000))
            frame.time_base = MS
            if at_s - self._last_key_s >= KEYFRAME_EVERY_S:  # a fragment every 2 s of real time, however few frames came
                frame.pict_type = PictureType.I
                self._last_key_s = at_s
        else:
            frame.pts = self.frames
        self.frames += 1
        self._mux(self.stream.encode(frame))

    def close(self) -> None:
        """Flush the encoder and close the file; after a failure, keep only complete fragments."""
        try:
            if not self._failed:
                self._mux(self.stream.encode(None))
        finally:
            try:
                self.container.close()
            except OSError:
                self._failed = True
            if self._failed:
                self._cut_back()


class Mp4vWriter:
    """OpenCV's MPEG-4 Part 2 writer, the fallback when PyAV or libx264 is missing."""

    codec = "mp4v"

    def __init__(self, path: Path, fps: float, size_wh: tuple[int, int], timed: bool = False) -> None:
        self.path = path
        self.fps = fps
        self.timed = timed
        self.frames = 0
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size_wh)
        if not self.writer.isOpened():
            self.writer.release()
            raise OSError(f"cannot open a video writer for {path}")

    def write(self, image: np.ndarray, at_s: float | None = None) -> None:
        """Append one frame; a timed writer repeats it to fill the time since the previous one (constant rate)."""
        repeats = max(1, round(at_s * self.fps) + 1 - self.frames) if self.timed and at_s is not None else 1
        for _ in range(repeats):
            self.writer.write(image)
        self.frames += repeats

    def close(self) -> None:
        """Write the index and close the file."""
        self.writer.release()


def open_video_writer(path: Path, fps: float, size_wh: tuple[int, int], timed: bool = False) -> VideoWriter:
    """An H.264 writer where PyAV has libx264, else the mp4v fallback.

    Args:
        path: the .mp4 file to write (replaced if it exists).
        fps: frames per second of the video.
        size_wh: (width, height) of the frames.
        timed: place frames at the time given to `write` (live sources), not at their index.

    Returns:
        An open writer.
    """
    try:
        import av

        if "libx264" in av.codecs_available:
            return H264Writer(path, fps, size_wh, timed)
        log.warning("PyAV has no libx264 encoder: writing %s as mp4v", path)
    except ImportError:
        log.warning("PyAV is not installed: writing %s as mp4v", path)
    return Mp4vWriter(path, fps, size_wh, timed)
