"""Frames-to-folder sink: annotated JPEGs, one per (every n-th) frame."""

from __future__ import annotations

from pathlib import Path

import cv2

from stream.annotate import ResultAnnotator
from stream.frames import FrameResult
from stream.sinks.base import Sink


class FramesFolderSink(Sink):
    """Writes `<source>/<frame index>.jpg` drawn as the video sink draws it (people and outfits when tracked)."""

    name = "frames"

    def __init__(self, folder: str | Path, every: int = 1) -> None:
        self.folder = Path(folder)
        self.every = max(1, every)
        self.annotator = ResultAnnotator()

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
