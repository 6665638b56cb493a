"""Annotated-video sink. A file or folder source becomes one MP4 (`<source>.mp4`, the source's size
and frame rate); a live source is recorded in segments of `segment_s` seconds
(`<source>/<UTC start>.mp4`, e.g. `entrance/20261124T093000Z.mp4`) with the wall-clock time drawn
on, frames placed at the time they arrived (a 60 s camera run makes 60 s of video however many
frames the detector kept up with), and old segments removed by age (`keep_s`) or total size
(`keep_mb`). Writers: `stream.video_writers` (H.264 fragmented MP4 through PyAV; mp4v fallback).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import cv2
from pydantic import Field

from stream.annotate import ResultAnnotator, draw_clock
from stream.frames import FrameResult
from stream.sinks.base import SINKS, Sink, SinkSettings
from stream.video_writers import VideoWriter, open_video_writer

log = logging.getLogger(__name__)


class VideoSinkSettings(SinkSettings):
    """`{type: video}`: `<source id>.mp4` per finite source, `<source id>/` segments per live one, in
    output_dir (or in the folder `path`)."""

    type: Literal["video"] = "video"
    default_fps: float = Field(10.0, gt=0, description="frame rate of a source that reports none")
    segment_s: float = Field(300.0, ge=5, description="length of a live source's recording segments")
    keep_s: float | None = Field(None, gt=0, description="remove a live source's segments older than this (null: keep)")
    keep_mb: float | None = Field(None, gt=0, description="remove a live source's oldest segments beyond this total size (null: keep)")
    clock: bool = Field(True, description="draw the wall-clock time on live recordings")

    def folder(self, out_dir: Path) -> Path:
        """The folder the videos go to."""
        return Path(self.path) if self.path else out_dir

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        return [self.folder(out_dir) / name for source_id in source_ids for name in (f"{source_id}.mp4", source_id)]


class Recording:
    """One source's current video file: the writer, its frame size, and when it started (wall clock)."""

    def __init__(self, writer: VideoWriter, path: Path, size_wh: tuple[int, int], started: float) -> None:
        self.writer, self.path, self.size_wh, self.started = writer, path, size_wh, started


@SINKS.register(VideoSinkSettings)
class AnnotatedVideoSink(Sink):
    """Draws each result and appends it to its source's video (or current segment); finalized on close."""

    name = "video"

    def __init__(self, folder: str | Path, default_fps: float = 10.0, settings: VideoSinkSettings | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settings = settings or VideoSinkSettings(default_fps=default_fps)
        self.default_fps = default_fps
        self.recordings: dict[str, Recording] = {}
        self.paths: dict[str, Path] = {}  # each source's current (or only) file
        self.annotator = ResultAnnotator()

    @classmethod
    def from_settings(cls, settings: VideoSinkSettings, out_dir: Path) -> AnnotatedVideoSink:
        """The sink a config entry describes."""
        return cls(settings.folder(out_dir), settings.default_fps, settings)

    @property
    def path(self) -> Path:
        """The folder the videos go to."""
        return self.folder

    def _open(self, result: FrameResult) -> Recording:
        frame = result.frame
        size_wh = (frame.image.shape[1], frame.image.shape[0])
        fps = frame.fps or self.default_fps  # the rate the source reported once open
        if frame.live:
            start = datetime.fromtimestamp(frame.wall_time, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            path = self.folder / frame.source_id / f"{start}.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            path = self.folder / f"{frame.source_id}.mp4"
        writer = open_video_writer(path, fps, size_wh, timed=frame.live)
        log.info("writing %s (%s, %dx%d @ %.2f fps)", path, writer.codec, *size_wh, fps)
        self.paths[frame.source_id] = path
        return Recording(writer, path, size_wh, frame.wall_time)

    def _recording_for(self, result: FrameResult) -> Recording:
        frame = result.frame
        recording = self.recordings.get(frame.source_id)
        if recording is not None and frame.live and frame.wall_time - recording.started >= self.settings.segment_s:
            recording.writer.close()  # the segment is complete: a new one starts with this frame
            self._apply_retention(frame.source_id, frame.wall_time)
            recording = None
        if recording is None:
            recording = self.recordings[frame.source_id] = self._open(result)
        return recording

    def _apply_retention(self, source_id: str, now: float) -> None:
        """Remove the source's finished segments that are too old or beyond the size limit (oldest first)."""
        finished = [p for p in sorted((self.folder / source_id).glob("*.mp4")) if p != self.paths.get(source_id)]
        keep_s, keep_mb = self.settings.keep_s, self.settings.keep_mb
        removed = []
        for path in finished:
            if keep_s is not None and now - path.stat().st_mtime > keep_s:
                removed.append(path)
        if keep_mb is not None:
            left = [p for p in finished if p not in removed]
            total = sum(p.stat().st_size for p in left) + self.paths[source_id].stat().st_size
            while left and total > keep_mb * 1e6:
                oldest = left.pop(0)
                total -= oldest.stat().st_size
                removed.append(oldest)
        for path in removed:
            path.unlink(missing_ok=True)
            log.info("retention: removed %s", path)

    def write(self, result: FrameResult) -> None:
        """Draw the result and append it to its source's video, at its time for a live source."""
        recording = self._recording_for(result)
        image = self.annotator.annotate(result)
        if (image.shape[1], image.shape[0]) != recording.size_wh:  # a live source changed resolution
            image = cv2.resize(image, recording.size_wh)
        frame = result.frame
        if frame.live:
            if self.settings.clock:
                image = draw_clock(image, frame.wall_time)
            recording.writer.write(image, frame.wall_time - recording.started)
        else:
            recording.writer.write(image)

    def close(self) -> None:
        """Finalize every video (each is closed even if another fails)."""
        errors = []
        for recording in self.recordings.values():
            try:
                recording.writer.close()
            except OSError as exc:
                errors.append(exc)
        self.recordings.clear()
        if errors:
            raise errors[0]
