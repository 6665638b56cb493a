"""JSON-lines sink: one record per frame (detections, and tracks when tracking is on)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar, Literal

from stream.frames import FrameResult
from stream.io import LineFile
from stream.records import FrameRecord, detection_items, tracked_items
from stream.sinks.base import SINKS, LinesSinkSettings, Sink


class JsonLinesSettings(LinesSinkSettings):
    """`{type: jsonl}`: one record per frame in `events.jsonl` (or `path`)."""

    type: Literal["jsonl"] = "jsonl"
    default_name: ClassVar[str] = "events.jsonl"


@SINKS.register(JsonLinesSettings)

class JsonLinesSink(Sink):
    """Writes `events.jsonl`; flushes every `flush_every` records or `flush_s` seconds, when idle
    (the worker calls `flush`) and on close. Every line in the file is complete."""

    name = "jsonl"

    def __init__(self, path: str | Path, flush_every: int = 25, flush_s: float = 1.0,
                 rotation: tuple[float | None, float | None] = (None, None)) -> None:
        self.path = Path(path)
        self.rotation = rotation  # (bytes, seconds) that start a new file
        self._file = LineFile(self.path)
        self.flush_every = flush_every
        self.flush_s = flush_s
        self._last_flush = time.monotonic()

    @classmethod
    def from_settings(cls, settings: JsonLinesSettings, out_dir: Path) -> JsonLinesSink:
        """The sink a config entry describes."""
        return cls(settings.file(out_dir), rotation=settings.rotation())

    def write(self, result: FrameResult) -> None:
        """Queue the frame's record; flush when enough records or time have gathered."""
        frame = result.frame
        record = FrameRecord(source=frame.source_id, frame=frame.index, pts=round(frame.pts, 4), time=round(frame.wall_time, 3),
                             reused=result.reused, items=detection_items(result.detections),
                             tracks=tracked_items(result.tracked) if result.tracked is not None else None)
        self._file.append(record.line())
        if self._file.pending >= self.flush_every or time.monotonic() - self._last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> None:
        """Write what is queued."""
        self._file.flush()
        self._file.rotate_if_due(*self.rotation)
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush, fsync and close the file."""
        self._file.close()
