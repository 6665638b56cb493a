"""Person boxes for the tracker: from a person detector, or guessed from the garments themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv
from trackers.eval import box_ioa

from stream.detections import match_greedy, scores, select
from stream.tracking.slots import PARTS, slot_of
from stream.tracking.tracks import MULTI_ITEM_SLOTS, absolute, hidden_behind, holding

PERSON_LABEL = "person"  # the label a person model's people carry (COCO's)
PLACE_IOU = 0.3  # a garment detection sits where a followed person's garment sits when its box overlaps that place this much
JOIN_IOA = 0.5  # a garment no followed person expects joins the one whose box holds this much of it (a hat seen first now)
SAME_GARMENT_IOU = 0.5  # two boxes of one slot overlapping this much are one garment seen twice
MIN_REL_SIZE = 0.02  # garments smaller than this on a person (a watch's height) say too little about the person's box
SETTLED_S = 1.0  # two people followed this long stay two (a person split by a garment missed as they came in is put together)


@dataclass(frozen=True)
class FollowedPerson:
    """A person the tracker follows: where they should be now, and where their garments sit on them."""

    box: np.ndarray
    places: Sequence[tuple[str, np.ndarray]]  # (slot, garment box relative to the person's box)
    age_s: float = 0.0  # how long they have been followed
    lost: bool = False  # not found at the last detector run (the motion tracker still keeps them)


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


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per column of `values` (rows: estimates), the weighted median."""
    order = np.argsort(values, axis=0)
    out = np.empty(values.shape[1], dtype=np.float32)
    for col in range(values.shape[1]):
        ranked = order[:, col]
        cumulative = np.cumsum(weights[ranked])
        out[col] = values[ranked[int(np.searchsorted(cumulative, cumulative[-1] / 2))], col]
    return out


def _size(box: np.ndarray) -> tuple[float, float]:
    return float(box[2] - box[0]), float(box[3] - box[1])


def _hidden_places(person: FollowedPerson, followed: Sequence[FollowedPerson], hidden_ioa: float) -> set[int]:
    """The places of `person`'s garments that someone followed nearer the camera covers."""
    where = np.array([absolute(rel, person.box) for _, rel in person.places]).reshape(-1, 4)
    others = np.array([other.box for other in followed if other is not person]).reshape(-1, 4)
    return set(np.flatnonzero(hidden_behind(where, person.box, others, hidden_ioa)).tolist())


def _where_they_sit(boxes: np.ndarray, slots: np.ndarray, followed: Sequence[FollowedPerson],
                    hidden_ioa: float) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Garments sitting where a followed person's garments of that slot sit (one each, best overlap
    first), and per person so found, their box now: the union of their garments, those seen where
    they are and those missed where the others say they are (the weighted median of the person
    boxes in which each garment seen sits where it did; bigger garments weigh more). Someone lost
    is found again by most of their garments that nobody nearer the camera hides, and only by those:
    a garment where theirs would be hidden is the nearer person's.

    Returns:
        The person index per garment row (-1: none), and person index -> box.
    """
    owner, item_of = np.full(len(boxes), -1), np.full(len(boxes), -1)
    hidden = {k: _hidden_places(person, followed, hidden_ioa) if person.lost else set() for k, person in enumerate(followed)}
    expected = [(k, item, slot, absolute(rel, person.box)) for k, person in enumerate(followed)
                for item, (slot, rel) in enumerate(person.places) if item not in hidden[k]]  # someone lost is not seen behind someone nearer
    if len(boxes) and expected:
        fit = sv.box_iou_batch(boxes, np.array([e[3] for e in expected]))
        fit[slots[:, None] != np.array([e[2] for e in expected], dtype=object)[None, :]] = 0.0  # a shirt sits only where a shirt sat
        for row, col in match_greedy(fit, PLACE_IOU).items():
            owner[row], item_of[row] = expected[col][0], expected[col][1]
    person_boxes = {}
    for k in set(owner[owner >= 0].tolist()):
        rows = np.flatnonzero(owner == k)
        places = [np.asarray(rel) for _, rel in followed[k].places]
        if followed[k].lost:
            in_view = [slot for item, (slot, _) in enumerate(followed[k].places) if slot not in MULTI_ITEM_SLOTS and item not in hidden[k]]
            if 2 * sum(slots[r] not in MULTI_ITEM_SLOTS for r in rows) < len(in_view):
                owner[rows] = -1  # someone lost is found again by most of their garments in view, not by one of someone else's
                continue
        sized = [r for r in rows if slots[r] not in MULTI_ITEM_SLOTS and min(_size(places[item_of[r]])) >= MIN_REL_SIZE]
        if not sized:
            owner[rows] = -1  # only a bag or a hat found: grouped like anyone's
            continue
        implied = np.array([holding(boxes[r], places[item_of[r]]) for r in sized])
        at = _weighted_median(implied, np.array([np.prod(_size(places[item_of[r]])) for r in sized]))
        missed = [absolute(rel, at) for item, (slot, rel) in enumerate(followed[k].places)
                  if item not in item_of[rows] and slot not in MULTI_ITEM_SLOTS]  # a bag or a hat may be gone
        person_boxes[k] = _union(np.concatenate([boxes[rows], np.array(missed).reshape(-1, 4)]))
    return owner, person_boxes


@dataclass
class _Group:
    """Garments of one person being put together: their rows, and the box a followed person's
    garments say they are in (None for people not followed yet)."""

    rows: list[int]
    box: np.ndarray | None = None
    settled: bool = False  # a person followed for a while (not a piece of someone split as they came in)


def _pairs(boxes: np.ndarray, slots: np.ndarray, min_x_overlap: float, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of garments: whether they stack in one column (one person's), and whether they are
    two garments of one slot (not two views of one garment: two people's)."""
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    x_overlap = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    narrower = np.minimum(widths[:, None], widths[None, :])
    gap = np.maximum(boxes[:, None, 1], boxes[None, :, 1]) - np.minimum(boxes[:, None, 3], boxes[None, :, 3])  # < 0: overlapping
    column = (narrower > 0) & (x_overlap >= min_x_overlap * narrower) & (gap <= max_gap * np.maximum(heights[:, None], heights[None, :]))
    body = np.array([slot not in MULTI_ITEM_SLOTS for slot in slots], dtype=bool)
    two = (slots[:, None] == slots[None, :]) & body[:, None] & (sv.box_iou_batch(boxes, boxes) < SAME_GARMENT_IOU)
    return column, two


def _merge(groups: list[_Group], boxes: np.ndarray, slots: np.ndarray, min_x_overlap: float, max_gap: float) -> list[_Group]:
    """Groups put together when one's garments stack in one column with the other's, or lie in the
    box a followed person's garments give the other - unless that puts two garments of one slot on
    one person, or joins two people followed for a while."""
    if not groups:
        return groups
    column, two = _pairs(boxes, slots, min_x_overlap, max_gap)
    group_of = np.empty(len(boxes), dtype=int)
    for index, group in enumerate(groups):
        group_of[group.rows] = index
    edges = [(group.rows[0], int(row)) for group in groups if group.box is not None  # into a followed person's box first
             for row in np.flatnonzero(box_ioa(boxes, group.box[None])[:, 0] >= JOIN_IOA)]
    edges += [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(column, 1)))]
    for i, j in edges:
        a, b = groups[group_of[i]], groups[group_of[j]]
        if a is b or (a.settled and b.settled) or two[np.ix_(a.rows, b.rows)].any():
            continue
        a.rows += b.rows
        a.settled |= b.settled
        a.box = b.box if a.box is None else a.box if b.box is None else _union(np.stack([a.box, b.box]))
        group_of[b.rows] = group_of[i]
        b.rows = []
    return [g for g in groups if g.rows]


def persons_from_garments(garments: sv.Detections, followed: Sequence[FollowedPerson] = (), min_x_overlap: float = 0.5,
                          max_gap: float = 0.25, hidden_ioa: float = 0.5) -> sv.Detections:
    """Person boxes built from the garments (no person model).

    Garments sitting where a followed person's garments sit make that person's box: where those
    garments say the person is, so a missed garment neither shrinks the box nor splits the person,
    and two people passing each other keep their own garments. Other garments join a person when
    they stack in one column with theirs or lie in their box, unless that puts two garments of one
    slot on them (two shirts in a column are two people, one behind the other). Parts and unknown
    labels are left out.

    Args:
        garments: the garment detector's output for one frame.
        followed: the people the tracker follows, where they should be now.
        min_x_overlap: share of the narrower garment's width two garments of one column share.
        max_gap: vertical gap between two garments of one column, as a share of the taller one.
        hidden_ioa: share of a garment's place a nearer person's box covers for it to be hidden.

    Returns:
        One box per person. Confidence: the chance that at least one of their garments is real
        (1 - the product of 1 - each score), so several weakly scored garments in one column make
        a person the motion tracker follows, and one weak garment alone stays weak.
    """
    slots = garment_slots(garments)
    keep = np.array([s not in ("", PARTS) for s in slots], dtype=bool)
    boxes, slots = garments.xyxy[keep].reshape(-1, 4), slots[keep] if len(slots) else slots
    confidences = scores(garments)[keep] if len(garments) else np.empty(0)
    owner, person_boxes = _where_they_sit(boxes, slots, followed, hidden_ioa)
    groups = [_Group(list(np.flatnonzero(owner == k)), box, followed[k].age_s >= SETTLED_S) for k, box in person_boxes.items()]
    groups += [_Group([int(row)]) for row in np.flatnonzero(owner < 0)]
    groups = _merge(groups, boxes, slots, min_x_overlap, max_gap)
    groups = [g for g in groups if any(slots[r] not in MULTI_ITEM_SLOTS for r in g.rows)]  # a bag or a hat alone is nobody
    if not groups:
        return sv.Detections.empty()
    xyxy = [_union(np.concatenate([g.box[None], boxes[g.rows]]) if g.box is not None else boxes[g.rows]) for g in groups]
    some_real = [1.0 - np.prod(1.0 - confidences[g.rows]) for g in groups]  # at least one of their garments is real
    return sv.Detections(xyxy=np.array(xyxy, dtype=np.float32), confidence=np.array(some_real, dtype=np.float32),
                         class_id=np.zeros(len(groups), dtype=int))


def _union(boxes: np.ndarray) -> np.ndarray:
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()], dtype=np.float32)
