"""Outfit events sink: appear, outfit_stable, slot_changed, leave, one JSON line each, written as they come."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stream.frames import FrameResult
from stream.sinks.base import Sink
from stream.sinks.line_file import LineFile


class OutfitEventsSink(Sink):
    """Writes `outfit_events.jsonl`: each event of the tracker, and the final `leave` events."""

    name = "events"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = LineFile(self.path)

    @property
    def count(self) -> int:
        """Events written so far."""
        return self._file.lines + self._file.pending

    def write(self, result: FrameResult) -> None:
        """Write the events this frame raised (events are rare and matter: never held back)."""
        self.write_events(result.events)

    def write_events(self, events: list[dict[str, Any]]) -> None:
        """Write events at once."""
        for event in events:
            self._file.append(event)
        self._file.flush()

    def close(self) -> None:
        """Fsync and close the file."""
        self._file.close()
