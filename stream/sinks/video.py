"""Annotated-video sink: one MP4 per source, same size and frame rate as the source."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from stream.annotate import ResultAnnotator
from stream.frames import FrameResult

log = logging.getLogger(__name__)
CODECS = ("avc1", "mp4v")  # H.264 where OpenCV's FFmpeg has an encoder, else MPEG-4 Part 2


def open_video_writer(path: Path, fps: float, size_wh: tuple[int, int]) -> tuple[cv2.VideoWriter, str]:
    """The first codec of `CODECS` that opens; raises OSError when none does."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        for codec in CODECS:
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size_wh)
            if writer.isOpened():
                return writer, codec
            writer.release()
    finally:
        cv2.utils.logging.setLogLevel(previous)
    raise OSError(f"cannot open a video writer for {path} (tried {', '.join(CODECS)})")


class AnnotatedVideoSink:
    """Draws detections and appends frames to `<folder>/<source>.mp4`; finalized on close."""

    name = "video"

    def __init__(self, folder: str | Path, fps_by_source: dict[str, float | None], default_fps: float = 10.0) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fps_by_source = fps_by_source
        self.default_fps = default_fps
        self.writers: dict[str, tuple[cv2.VideoWriter, tuple[int, int]]] = {}
        self.frames_written: dict[str, int] = {}
        self.paths: dict[str, Path] = {}
        self.annotator = ResultAnnotator()

    def _writer_for(self, source_id: str, shape: tuple[int, ...]) -> tuple[cv2.VideoWriter, tuple[int, int]]:
        if source_id not in self.writers:
            size_wh = (shape[1], shape[0])
            path = self.folder / f"{source_id}.mp4"
            fps = self.fps_by_source.get(source_id) or self.default_fps
            writer, codec = open_video_writer(path, fps, size_wh)
            log.info("writing %s (%s, %dx%d @ %.2f fps)", path, codec, *size_wh, fps)
            self.writers[source_id], self.paths[source_id] = (writer, size_wh), path
            self.frames_written[source_id] = 0
        return self.writers[source_id]

    def write(self, result: FrameResult) -> None:
        frame = result.frame
        writer, size_wh = self._writer_for(frame.source_id, frame.image.shape)
        image = self.annotator.annotate(result)
        if (image.shape[1], image.shape[0]) != size_wh:  # a live source changed resolution
            image = cv2.resize(image, size_wh)
        writer.write(image)
        self.frames_written[frame.source_id] += 1

    def close(self) -> None:
        for writer, _ in self.writers.values():
            writer.release()
        self.writers.clear()
