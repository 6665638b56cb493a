"""Person boxes for the tracker: from a person detector, or guessed from the garments themselves."""

from __future__ import annotations

import numpy as np
import supervision as sv

from stream.detections import scores, select
from stream.tracking.slots import PARTS, slot_of

PERSON_LABEL = "person"  # the label a person model's people carry (COCO's)


def person_detections(detections: sv.Detections, label: str = PERSON_LABEL) -> sv.Detections:
    """The `label` rows of a general detector's output (e.g. COCO's `person`)."""
    if len(detections) == 0 or "class_name" not in detections.data:
        return sv.Detections.empty()
    return select(detections, np.asarray(detections.data["class_name"]) == label)


def garment_slots(detections: sv.Detections) -> np.ndarray:
    """The slot of each detection (`parts`, or '' for labels outside the taxonomy)."""
    if len(detections) == 0:
        return np.array([], dtype=object)
    groups, supers = detections.data["group"], detections.data["supercategory"]
    return np.array([slot_of(g, s) or "" for g, s in zip(groups, supers)], dtype=object)


def _belong_together(a: np.ndarray, b: np.ndarray, min_x_overlap: float, max_gap: float) -> bool:
    """Two garment boxes of one person: columns overlap and they stack without a big vertical gap."""
    x_overlap = min(a[2], b[2]) - max(a[0], b[0])
    narrower = min(a[2] - a[0], b[2] - b[0])
    if narrower <= 0 or x_overlap / narrower < min_x_overlap:
        return False
    gap = max(a[1], b[1]) - min(a[3], b[3])  # negative when they overlap vertically
    return gap <= max_gap * max(a[3] - a[1], b[3] - b[1])


def persons_from_garments(garments: sv.Detections, min_x_overlap: float = 0.5, max_gap: float = 0.25) -> sv.Detections:
    """One box per group of garments that overlap horizontally and stack vertically (no person model).

    Parts and unknown labels are left out; a person's box is the union of its garments, its
    confidence the best garment score. Two people standing in one column merge (the trade-off of
    not running a person detector).
    """
    slots = garment_slots(garments)
    keep = np.array([s not in ("", PARTS) for s in slots], dtype=bool)
    boxes, confidences = garments.xyxy[keep], scores(garments)[keep] if len(garments) else np.empty(0)
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if _belong_together(boxes[i], boxes[j], min_x_overlap, max_gap):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    if not groups:
        return sv.Detections.empty()
    members = list(groups.values())
    xyxy = np.array([[boxes[m, 0].min(), boxes[m, 1].min(), boxes[m, 2].max(), boxes[m, 3].max()] for m in members], dtype=np.float32)
    return sv.Detections(xyxy=xyxy, confidence=np.array([confidences[m].max() for m in members], dtype=np.float32),
                         class_id=np.zeros(len(members), dtype=int))
