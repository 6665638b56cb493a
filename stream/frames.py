"""The values that travel through the pipeline: frames in, results out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import supervision as sv

if TYPE_CHECKING:
    from stream.records import EventBase, OutfitSlot


@dataclass
class Frame:
    """One decoded image from a source.

    `pts` is the presentation time in seconds (file timestamps for files, capture clock for live
    sources), made monotonic per source; `wall_time` is when it happened, in Unix seconds (a live
    frame's arrival; for a file, its recorded start from the metadata, else the run's start, plus
    `pts`); `fps` is the frame rate the source reported once open (None when it reports none); `live`
marks a camera or stream (or a file paced like one).
    """

    source_id: str
    index: int
    pts: float
    wall_time: float
    image: np.ndarray
    read_monotonic: float = 0.0
    fps: float | None = None
    live: bool = False  # a camera or stream (or a file paced like one): recorded in wall-clock segments


@dataclass
class RegionView:
    """A zone or counting line as the overlay draws it: its points (frame pixels) and live counts."""

    kind: str  # "zone" or "line"
    name: str
    points: list[tuple[float, float]]
    caption: str


@dataclass
class FrameResult:
    """What the pipeline made of one frame.

    `detections` are the detector's (an `sv.Detections` in frame pixels with `class_name`,
    `group`, `supercategory` and, with the `colors` stage, `color` in `data`; without tracking, the
    `attributes` stage adds `attributes`); `reused` marks
    detections carried over by `detect_every`. With tracking on: `tracked` holds people and
    garments with track ids and stable labels (`people` and `garments` split it), `outfits` each
    person's current outfit (person track id -> slot -> `OutfitSlot`), `events` the outfit events
    this frame raised; `persons` are a person model's raw boxes, when one runs; `regions` the
    source's zones and lines with their live counts (drawn by the video sink)."""

    frame: Frame
    detections: sv.Detections
    reused: bool = False
    latency_s: float = 0.0
    persons: sv.Detections | None = None
    tracked: sv.Detections | None = None
    outfits: dict[int, dict[str, OutfitSlot]] = field(default_factory=dict)
    events: list[EventBase] = field(default_factory=list)
    regions: list[RegionView] = field(default_factory=list)

    def _kind(self, kind: str) -> sv.Detections:
        if self.tracked is None or len(self.tracked) == 0:
            empty = sv.Detections.empty()
            empty.tracker_id = np.empty(0, dtype=int)  # iterable like a non-empty one's
            return empty
        return cast(sv.Detections, self.tracked[self.tracked.data["kind"] == kind])

    @property
    def people(self) -> sv.Detections:
        """Tracked people (`tracker_id`: the person's id); empty without tracking."""
        return self._kind("person")

    @property
    def garments(self) -> sv.Detections:
        """Tracked garments (`tracker_id`, and `label`, `slot`, `person_id`, `color`, `provisional` and, with the
        `attributes` stage, `attributes` in `data`)."""
        return self._kind("garment")
