"""Outfit events sink: appear, outfit_stable, slot_changed, leave, one JSON line each, flushed as they come."""

from __future__ import annotations

import json
import os
from pathlib import Path

from stream.frames import FrameResult


class OutfitEventsSink:
    """Appends each event of the tracker (and the final `leave` events at the end of the run)."""

    name = "events"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self.count = 0

    def write(self, result: FrameResult) -> None:
        self.write_events(result.events)

    def write_events(self, events: list[dict]) -> None:
        for event in events:
            self._file.write(json.dumps(event) + "\n")
            self.count += 1
        if events:
            self._file.flush()  # events are rare and matter: never held back

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
