"""JSON-lines sink: one record per frame (detections, and tracks when tracking is on)."""

from __future__ import annotations

import time
from pathlib import Path

from stream.frames import FrameResult
from stream.records import detection_items, tracked_items
from stream.sinks.base import Sink
from stream.sinks.line_file import LineFile


class JsonLinesSink(Sink):
    """Writes `events.jsonl`; flushes every `flush_every` records or `flush_s` seconds, when idle
    (the worker calls `flush`) and on close. Every line in the file is complete."""

    name = "jsonl"

    def __init__(self, path: str | Path, flush_every: int = 25, flush_s: float = 1.0) -> None:
        self.path = Path(path)
        self._file = LineFile(self.path)
        self.flush_every = flush_every
        self.flush_s = flush_s
        self._last_flush = time.monotonic()

    def write(self, result: FrameResult) -> None:
        """Queue the frame's record; flush when enough records or time have gathered."""
        frame = result.frame
        record = {
            "source": frame.source_id,
            "frame": frame.index,
            "pts": round(frame.pts, 4),
            "time": round(frame.wall_time, 3),
            "reused": result.reused,
            "items": detection_items(result.detections),
        }
        if result.tracked is not None:
            record["tracks"] = tracked_items(result.tracked)
        self._file.append(record)
        if self._file.pending >= self.flush_every or time.monotonic() - self._last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> None:
        """Write what is queued."""
        self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush, fsync and close the file."""
        self._file.close()
