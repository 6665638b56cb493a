"""The tracking stage: one outfit tracker per source, run on every frame in order."""

from __future__ import annotations

from dataclasses import replace

from stream.frames import FrameResult
from stream.tracking import OutfitTracker, TrackingSettings


class TrackingStage:
    """Adds `tracked` and `events` to each result; frames the detector skipped are predicted."""

    def __init__(self, settings: TrackingSettings) -> None:
        self.settings = settings
        self.trackers: dict[str, OutfitTracker] = {}

    def _tracker(self, source_id: str, fps: float | None) -> OutfitTracker:
        if source_id not in self.trackers:
            rate = fps or self.settings.frame_rate  # the source's own rate once it is open
            self.trackers[source_id] = OutfitTracker(replace(self.settings, frame_rate=rate))
        return self.trackers[source_id]

    def process(self, results: list[FrameResult]) -> None:
        """Track every result, in order; fills `result.tracked` and `result.events`."""
        for result in results:
            frame = result.frame
            tracked, events = self._tracker(frame.source_id, frame.fps).update(
                result.detections, frame.pts, persons=result.persons, detected=not result.reused)
            result.tracked = tracked
            result.events = [_stamped(event, source=frame.source_id, frame=frame.index) for event in events]

    def finish(self) -> list[dict]:
        """`leave` events for everyone still in view when the run ends."""
        events = []
        for source_id, tracker in self.trackers.items():
            events += [_stamped(event, source=source_id) for event in tracker.finish()]
        return events


def _stamped(event: dict, **where) -> dict:
    """The event with where it came from first, and its time rounded as in the per-frame records."""
    return {**where, **event, "pts": round(event["pts"], 4)}
