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


def match_boxes(boxes_a: np.ndarray, boxes_b: np.ndarray, min_iou: float) -> dict[int, int]:
    """Greedy one-to-one matching by IoU, best pairs first.

    Args:
        boxes_a: (N, 4) xyxy boxes.
        boxes_b: (M, 4) xyxy boxes.
        min_iou: pairs overlapping less are not matched.

    Returns:
        Row of `boxes_a` -> row of `boxes_b`.
    """
    if len(boxes_a) == 0 or len(boxes_b) == 0:
        return {}
    return match_greedy(sv.box_iou_batch(boxes_a, boxes_b), min_iou)


def match_greedy(scores: np.ndarray, minimum: float) -> dict[int, int]:
    """Greedy one-to-one matching of rows to columns, highest scores first.

    Args:
        scores: (N, M) how well row i fits column j (an IoU, say).
        minimum: pairs scoring less are not matched.

    Returns:
        Row -> column.
    """
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for flat in np.argsort(-scores, axis=None):
        i, j = (int(k) for k in np.unravel_index(flat, scores.shape))
        if scores[i, j] < minimum:
            break
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs
