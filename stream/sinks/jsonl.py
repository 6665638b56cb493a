"""JSON-lines event sink: one record per processed frame, written as it comes and flushed often."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from stream.frames import FrameResult
from stream.records import detection_items, tracked_items


class JsonLinesSink:
    """Appends one JSON object per frame; flushes every `flush_every` records or `flush_s` seconds."""

    name = "jsonl"

    def __init__(self, path: str | Path, flush_every: int = 25, flush_s: float = 1.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self.flush_every = flush_every
        self.flush_s = flush_s
        self._pending = 0
        self._last_flush = time.monotonic()

    def write(self, result: FrameResult) -> None:
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
        self._file.write(json.dumps(record) + "\n")
        self._pending += 1
        if self._pending >= self.flush_every or time.monotonic() - self._last_flush >= self.flush_s:
            self._flush()

    def _flush(self) -> None:
        self._file.flush()
        self._pending, self._last_flush = 0, time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self._flush()
            os.fsync(self._file.fileno())
            self._file.close()
