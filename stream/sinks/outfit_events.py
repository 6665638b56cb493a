"""Outfit events sink: appear, outfit_stable, slot_changed, leave, one JSON line each, written as they come."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from stream.frames import FrameResult
from stream.io import LineFile
from stream.records import EventBase
from stream.sinks.base import SINKS, LinesSinkSettings, Sink


class OutfitEventsSettings(LinesSinkSettings):
    """`{type: events}`: the tracker's events in `outfit_events.jsonl` (or `path`)."""

    type: Literal["events"] = "events"
    default_name: ClassVar[str] = "outfit_events.jsonl"


@SINKS.register(OutfitEventsSettings)

class OutfitEventsSink(Sink):
    """Writes `outfit_events.jsonl`: each event of the tracker, and the final `leave` events."""

    name = "events"

    def __init__(self, path: str | Path, rotation: tuple[float | None, float | None] = (None, None)) -> None:
        self.path = Path(path)
        self.rotation = rotation  # (bytes, seconds) that start a new file
        self._file = LineFile(self.path)

    @classmethod
    def from_settings(cls, settings: OutfitEventsSettings, out_dir: Path) -> OutfitEventsSink:
        """The sink a config entry describes."""
        return cls(settings.file(out_dir), settings.rotation())

    @property
    def count(self) -> int:
        """Events written so far."""
        return self._file.lines + self._file.pending

    def write(self, result: FrameResult) -> None:
        """Write the events this frame raised (events are rare and matter: never held back)."""
        self.write_events(result.events)

    def write_events(self, events: list[EventBase]) -> None:  # type: ignore[override]
        """Write events at once."""
        for event in events:
            self._file.append(event.line())
        self._file.flush()
        self._file.rotate_if_due(*self.rotation)

    def close(self) -> None:
        """Fsync and close the file."""
        self._file.close()
