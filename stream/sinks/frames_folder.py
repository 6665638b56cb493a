"""Frames-to-folder sink: annotated JPEGs, one per (every n-th) frame."""

from __future__ import annotations

from pathlib import Path

import cv2

from stream.annotate import GarmentAnnotator
from stream.frames import FrameResult


class FramesFolderSink:
    """Writes `<source>/<frame index>.jpg` with the detections drawn."""

    name = "frames"

    def __init__(self, folder: str | Path, every: int = 1) -> None:
        self.folder = Path(folder)
        self.every = max(1, every)
        self._annotators: dict[tuple[int, int], GarmentAnnotator] = {}

    def write(self, result: FrameResult) -> None:
        frame = result.frame
        if frame.index % self.every:
            return
        folder = self.folder / frame.source_id
        folder.mkdir(parents=True, exist_ok=True)
        frame_hw = frame.image.shape[:2]
        if frame_hw not in self._annotators:  # built once per size, not on every frame
            self._annotators[frame_hw] = GarmentAnnotator(frame_hw)
        annotator = self._annotators[frame_hw]
        path = folder / f"{frame.index:06d}.jpg"
        if not cv2.imwrite(str(path), annotator.annotate(frame.image, result.detections)):
            raise OSError(f"cannot write {path}")

    def close(self) -> None:
        """Nothing is buffered: every frame is on disk once written."""
