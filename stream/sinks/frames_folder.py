"""Frames-to-folder sink: annotated JPEGs, one per (every n-th) frame."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
from pydantic import Field

from stream.annotate import ResultAnnotator
from stream.frames import FrameResult
from stream.sinks.base import SINKS, Sink, SinkSettings


class FramesFolderSettings(SinkSettings):
    """`{type: frames}`: annotated JPEGs in `frames/<source id>/` (or under `path`)."""

    type: Literal["frames"] = "frames"
    every: int = Field(1, ge=1, description="keep every n-th frame")

    def folder(self, out_dir: Path) -> Path:
        """The folder the per-source folders go to."""
        return Path(self.path) if self.path else out_dir / "frames"

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        return [self.folder(out_dir) / source_id for source_id in source_ids]


@SINKS.register(FramesFolderSettings)
class FramesFolderSink(Sink):
    """Writes `<source>/<frame index>.jpg` drawn as the video sink draws it (people and outfits when tracked)."""

    name = "frames"

    def __init__(self, folder: str | Path, every: int = 1) -> None:
        self.folder = Path(folder)
        self.every = max(1, every)
        self.annotator = ResultAnnotator()

    @classmethod
    def from_settings(cls, settings: FramesFolderSettings, out_dir: Path) -> FramesFolderSink:
        """The sink a config entry describes."""
        return cls(settings.folder(out_dir), settings.every)

    @property
    def path(self) -> Path:
        """The folder the JPEGs go to."""
        return self.folder

    def write(self, result: FrameResult) -> None:
        """Draw and save the frame when it is one of every n-th."""
        frame = result.frame
        if frame.index % self.every:
            return
        folder = self.folder / frame.source_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{frame.index:06d}.jpg"
        if not cv2.imwrite(str(path), self.annotator.annotate(result)):
            raise OSError(0, "cannot write the image (disk full or folder gone?)", str(path))

    def close(self) -> None:
        """Nothing is buffered: every frame is on disk once written."""
