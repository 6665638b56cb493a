"""Annotated-video sink: one MP4 per source, same size and frame rate as the source.

Written with PyAV (its wheels carry libx264): H.264, yuv420p, as a fragmented MP4 (a fragment
per keyframe, one every 2 s), which browsers play and which stays readable up to its last
complete fragment after a hard kill or a full disk: a write that fails cuts the file back to
the last complete fragment and raises an error naming the file. Without PyAV/libx264, OpenCV's
MPEG-4 Part 2 writer is the fallback (not crash-safe, and not every browser plays it).
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import Field

from stream.annotate import ResultAnnotator
from stream.frames import FrameResult
from stream.sinks.base import SINKS, Sink, SinkSettings

log = logging.getLogger(__name__)
KEYFRAME_EVERY_S = 2.0


class VideoWriter(Protocol):
    """Appends BGR frames of one size to a video file."""

    codec: str

    def write(self, image: np.ndarray) -> None: ...

    def close(self) -> None: ...


class H264Writer:
    """Fragmented-MP4 H.264 through PyAV; odd frame sizes are padded by one pixel (yuv420p)."""

    codec = "h264"

    def __init__(self, path: Path, fps: float, size_wh: tuple[int, int]) -> None:
        import av

        self.path = path
        self.size_wh = (size_wh[0] + size_wh[0] % 2, size_wh[1] + size_wh[1] % 2)
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
        self.container = av.open(str(path), "w", format="mp4", options=options)
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.stream.width, self.stream.height = self.size_wh
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"preset": "veryfast", "crf": "23", "g": str(max(1, round(fps * KEYFRAME_EVERY_S)))}
        self.frames = 0
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

    def write(self, image: np.ndarray) -> None:
        """Encode one frame (its time is its index at the stream's frame rate)."""
        import av

        height, width = image.shape[:2]
        if (width, height) != self.size_wh:
            image = cv2.copyMakeBorder(image, 0, self.size_wh[1] - height, 0, self.size_wh[0] - width, cv2.BORDER_REPLICATE)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
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

    def __init__(self, path: Path, fps: float, size_wh: tuple[int, int]) -> None:
        self.path = path
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size_wh)
        if not self.writer.isOpened():
            self.writer.release()
            raise OSError(f"cannot open a video writer for {path}")

    def write(self, image: np.ndarray) -> None:
        """Append one frame."""
        self.writer.write(image)

    def close(self) -> None:
        """Write the index and close the file."""
        self.writer.release()


def open_video_writer(path: Path, fps: float, size_wh: tuple[int, int]) -> VideoWriter:
    """An H.264 writer where PyAV has libx264, else the mp4v fallback.

    Args:
        path: the .mp4 file to write (replaced if it exists).
        fps: frames per second of the video.
        size_wh: (width, height) of the frames.

    Returns:
        An open writer.
    """
    try:
        import av

        if "libx264" in av.codecs_available:
            return H264Writer(path, fps, size_wh)
        log.warning("PyAV has no libx264 encoder: writing %s as mp4v", path)
    except ImportError:
        log.warning("PyAV is not installed: writing %s as mp4v", path)
    return Mp4vWriter(path, fps, size_wh)


class VideoSinkSettings(SinkSettings):
    """`{type: video}`: `<source id>.mp4` per source in output_dir (or in the folder `path`)."""

    type: Literal["video"] = "video"
    default_fps: float = Field(10.0, gt=0, description="frame rate of a source that reports none")

    def folder(self, out_dir: Path) -> Path:
        """The folder the videos go to."""
        return Path(self.path) if self.path else out_dir

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        return [self.folder(out_dir) / f"{source_id}.mp4" for source_id in source_ids]


@SINKS.register(VideoSinkSettings)
class AnnotatedVideoSink(Sink):
    """Draws each result and appends it to `<folder>/<source>.mp4`; finalized on close."""

    name = "video"

    def __init__(self, folder: str | Path, default_fps: float = 10.0) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.default_fps = default_fps
        self.writers: dict[str, tuple[VideoWriter, tuple[int, int]]] = {}
        self.frames_written: dict[str, int] = {}
        self.paths: dict[str, Path] = {}
        self.annotator = ResultAnnotator()

    @classmethod
    def from_settings(cls, settings: VideoSinkSettings, out_dir: Path) -> AnnotatedVideoSink:
        """The sink a config entry describes."""
        return cls(settings.folder(out_dir), settings.default_fps)

    @property
    def path(self) -> Path:
        """The folder the videos go to."""
        return self.folder

    def _writer_for(self, result: FrameResult) -> tuple[VideoWriter, tuple[int, int]]:
        frame = result.frame
        if frame.source_id not in self.writers:
            size_wh = (frame.image.shape[1], frame.image.shape[0])
            path = self.folder / f"{frame.source_id}.mp4"
            fps = frame.fps or self.default_fps  # the rate the source reported once open
            writer = open_video_writer(path, fps, size_wh)
            log.info("writing %s (%s, %dx%d @ %.2f fps)", path, writer.codec, *size_wh, fps)
            self.writers[frame.source_id], self.paths[frame.source_id] = (writer, size_wh), path
            self.frames_written[frame.source_id] = 0
        return self.writers[frame.source_id]

    def write(self, result: FrameResult) -> None:
        """Draw the result and append it to its source's video."""
        writer, size_wh = self._writer_for(result)
        image = self.annotator.annotate(result)
        if (image.shape[1], image.shape[0]) != size_wh:  # a live source changed resolution
            image = cv2.resize(image, size_wh)
        writer.write(image)
        self.frames_written[result.frame.source_id] += 1

    def close(self) -> None:
        """Finalize every video (each is closed even if another fails)."""
        errors = []
        for writer, _ in self.writers.values():
            try:
                writer.close()
            except OSError as exc:
                errors.append(exc)
        self.writers.clear()
        if errors:
            raise errors[0]
