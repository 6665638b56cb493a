"""Detection agreement between two engines on the same frames (same label, boxes overlapping)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import supervision as sv


def match_detections(reference: sv.Detections, other: sv.Detections, iou: float = 0.5) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (i in reference, j in other): same class, IoU >= `iou`, best-scored first."""
    if len(reference) == 0 or len(other) == 0:
        return []
    overlaps = sv.box_iou_batch(reference.xyxy, other.xyxy)
    overlaps[reference.class_id[:, None] != other.class_id[None, :]] = 0.0
    pairs, taken = [], set()
    for i in np.argsort(-reference.confidence, kind="stable"):
        for j in np.argsort(-overlaps[i], kind="stable"):
            if overlaps[i, j] < iou:
                break
            if j not in taken:
                pairs.append((int(i), int(j)))
                taken.add(j)
                break
    return pairs


def agreement(reference: Sequence[sv.Detections], other: Sequence[sv.Detections], iou: float = 0.5) -> float:
    """F1 of matched detections over all frames: 1.0 when both engines found the same things."""
    matched = sum(len(match_detections(a, b, iou)) for a, b in zip(reference, other))
    total = sum(len(a) + len(b) for a, b in zip(reference, other))
    return 1.0 if total == 0 else 2 * matched / total
