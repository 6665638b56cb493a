"""Typed access to `sv.Detections`, whose optional fields (tracker ids, scores) and indexing are
loosely typed: one place that says what an absent field means."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import supervision as sv


def select(detections: sv.Detections, rows: Any) -> sv.Detections:
    """The rows of `detections` picked by a boolean mask, indexes or a slice."""
    return cast(sv.Detections, detections[rows])


def track_ids(detections: sv.Detections) -> np.ndarray:
    """The tracker ids as ints (empty when there are none)."""
    return detections.tracker_id if detections.tracker_id is not None else np.empty(0, dtype=int)


def scores(detections: sv.Detections) -> np.ndarray:
    """The confidences (1.0 for detections without one)."""
    return detections.confidence if detections.confidence is not None else np.ones(len(detections), dtype=np.float32)
