"""The values that travel through the pipeline: frames in, results out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import supervision as sv


@dataclass
class Frame:
    """One decoded image from a source.

    `pts` is the presentation time in seconds (file timestamps for files, capture clock for live
    sources), made monotonic per source; `wall_time` is when it was read (time.time());
    `fps` is the frame rate the source reported once open (None when it reports none).
    """

    source_id: str
    index: int
    pts: float
    wall_time: float
    image: np.ndarray
    read_monotonic: float = 0.0
    fps: float | None = None


@dataclass
class FrameResult:
    """A frame with its detections; `reused` marks detections carried over by `detect_every`.

    With tracking on: `persons` (a person model's boxes, if one runs), `tracked` (people and
    garments with track ids and stable labels) and the outfit `events` this frame raised."""

    frame: Frame
    detections: sv.Detections
    reused: bool = False
    latency_s: float = 0.0
    persons: sv.Detections | None = None
    tracked: sv.Detections | None = None
    events: list[dict] = field(default_factory=list)
