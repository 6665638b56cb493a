"""The tracking stage: one outfit tracker per source, run on every frame in order; its results
and events become the typed records of `stream.records`."""

from __future__ import annotations

from typing import Any

from stream.frames import FrameResult
from stream.records import EventBase, OutfitSlot, outfit_event
from stream.stages import Stage
from stream.tracking.outfit_tracker import OutfitTracker
from stream.tracking.settings import TrackingSettings


class TrackingStage(Stage):
    """Adds `tracked`, `outfits` and `events` to each result; frames the detector skipped are predicted."""

    name = "tracking"

    def __init__(self, settings: TrackingSettings) -> None:
        self.settings = settings
        self.trackers: dict[str, OutfitTracker] = {}
        self._last_frame: dict[str, tuple[int, float]] = {}  # source -> (frame index, wall time) last seen

    def _tracker(self, source_id: str, fps: float | None) -> OutfitTracker:
        if source_id not in self.trackers:
            rate = fps or self.settings.frame_rate  # the source's own rate once it is open
            self.trackers[source_id] = OutfitTracker(self.settings.model_copy(update={"frame_rate": rate}))
        return self.trackers[source_id]

    def process(self, results: list[FrameResult]) -> None:
        """Track every result, in order."""
        for result in results:
            frame = result.frame
            tracker = self._tracker(frame.source_id, frame.fps)
            tracked, events = tracker.update(result.detections, frame.pts, persons=result.persons, detected=not result.reused,
                                             frame=frame.image)
            self._last_frame[frame.source_id] = (frame.index, frame.wall_time)
            result.tracked = tracked
            result.outfits = {person_id: {slot: OutfitSlot(**entry) for slot, entry in outfit.items()}
                              for person_id, outfit in tracker.current_outfits.items()}
            result.events = [_typed(event, frame.source_id, frame.index, frame.wall_time) for event in events]

    def finish(self) -> list[EventBase]:
        """`leave` events for everyone still in view when the run ends (at the source's last frame)."""
        events = []
        for source_id, tracker in self.trackers.items():
            index, wall_time = self._last_frame.get(source_id, (0, 0.0))
            events += [_typed(event, source_id, index, wall_time) for event in tracker.finish()]
        return events


def _typed(event: dict[str, Any], source: str, frame: int, wall_time: float) -> EventBase:
    """A tracker event as its record: where and when it happened, times rounded as in the frame records."""
    return outfit_event({**event, "source": source, "frame": frame, "time": round(wall_time, 3), "pts": round(event["pts"], 4)})
