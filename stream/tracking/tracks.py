"""What the outfit tracker remembers of each person and each garment."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from trackers.eval import box_ioa

from stream.tracking.slots import TAKE_OFF_SLOTS
from stream.tracking.stabilizer import LabelStabilizer

MULTI_ITEM_SLOTS = ("head", "accessory")  # a person wears several at once: each is its own outfit entry
ITEM_MATCH_IOU = 0.2  # an item of a multi-item slot is the same one when it sits about where it did
PLACE_FOLLOW = 0.3  # share of a sighting in where a garment sits on its person: one frame's wrong person box moves it this much


def relative(box: np.ndarray, frame_of: np.ndarray) -> np.ndarray:
    """`box` in the coordinates of `frame_of` (0..1 across its width and height)."""
    w, h = max(1e-6, frame_of[2] - frame_of[0]), max(1e-6, frame_of[3] - frame_of[1])
    return np.array([(box[0] - frame_of[0]) / w, (box[1] - frame_of[1]) / h, (box[2] - frame_of[0]) / w, (box[3] - frame_of[1]) / h])


def absolute(rel: np.ndarray, frame_of: np.ndarray) -> np.ndarray:
    """The inverse of `relative`: a box given in `frame_of`'s coordinates, in pixels."""
    w, h = frame_of[2] - frame_of[0], frame_of[3] - frame_of[1]
    return np.array([frame_of[0] + rel[0] * w, frame_of[1] + rel[1] * h, frame_of[0] + rel[2] * w, frame_of[1] + rel[3] * h],
                    dtype=np.float32)


def holding(box: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """The box in which `box` sits at `rel` (what `relative` was taken against: a person's box from
    one of their garments and where it sits on them)."""
    w, h = (box[2] - box[0]) / (rel[2] - rel[0]), (box[3] - box[1]) / (rel[3] - rel[1])
    x1, y1 = box[0] - rel[0] * w, box[1] - rel[1] * h
    return np.array([x1, y1, x1 + w, y1 + h], dtype=np.float32)


def hidden_behind(places: np.ndarray, box: np.ndarray, others: np.ndarray, hidden_ioa: float) -> np.ndarray:
    """Per place (garment boxes of the person at `box`), whether the box of someone nearer the
    camera covers `hidden_ioa` of it. Nearer: feet lower in the picture, as for a camera looking
    down at a floor; someone behind hides nothing.

    Args:
        places: (N, 4) where the person's garments are or would be.
        box: the person's box.
        others: (M, 4) other people's boxes.
        hidden_ioa: share of a place a nearer person's box covers for it to be hidden.

    Returns:
        (N,) booleans.
    """
    nearer = others.reshape(-1, 4)[others.reshape(-1, 4)[:, 3] > box[3]]
    if not len(nearer) or not len(places):
        return np.zeros(len(places), dtype=bool)
    return box_ioa(places.reshape(-1, 4), nearer).max(axis=1) >= hidden_ioa


@dataclass
class GarmentTrack:
    """One garment across frames: worn by a person (it moves with them), or by nobody (a rack, a mannequin)."""

    garment_id: int  # unique per source, shared with the person ids
    slot: str
    stabilizer: LabelStabilizer
    first_seen: float
    last_seen: float
    box: np.ndarray
    owner: int = -1  # the person wearing it (-1: nobody)
    rel_box: np.ndarray | None = None  # where it sits in its owner's box (following its sightings)
    parts: Counter = field(default_factory=Counter)  # of the garment worn now: cleared when it is changed for another
    color_sightings: int = 0  # detector runs that named its colour
    shown: str | None = None
    label_since: float = 0.0
    unseen_since: float | None = None  # its person was seen without it (and it was not hidden) since then

    def observe(self, label: str, score: float, color: str | None, box: np.ndarray, t: float, person_box: np.ndarray | None) -> None:
        """One detector run that saw it."""
        switched = self.stabilizer.update(label, score, t, color)
        if switched and not self.stabilizer.corrected:
            self.parts.clear()  # another label in another colour: another garment, the old one's parts went with it
        if color:
            self.color_sightings += 1
        self.last_seen, self.box, self.unseen_since = t, box, None
        if person_box is not None:  # one frame's wrong person box (a neighbour's garment joined, one missed) must not move it all the way
            rel = relative(box, person_box)
            self.rel_box = rel if self.rel_box is None else self.rel_box + PLACE_FOLLOW * (rel - self.rel_box)
        if self.stabilizer.label != self.shown:
            self.shown, self.label_since = self.stabilizer.label, t

    def seen_parts(self, min_count: int) -> list[str]:
        """Parts seen on it at least `min_count` times (sleeve, collar, zipper, ...)."""
        return sorted(label for label, count in self.parts.items() if count >= min_count)

    def color(self, min_count: int) -> str | None:
        """The colour it shows now (the leader of the stabilizer's recent, decaying colour evidence: a
        garment swapped for one of another colour shows the new one within about a second, a brief
        misreading does not move it), once a colour was named `min_count` times."""
        return self.stabilizer.color if self.color_sightings >= min_count else None

    @property
    def stays_on(self) -> bool:
        """A locked shirt, pants, dress or shoes: people do not take these off in view, so when unseen
        they are hidden (under a jacket, behind a counter or a passer-by), not gone."""
        return self.slot not in TAKE_OFF_SLOTS and self.stabilizer.locked

    def off(self, t: float, off_s: float) -> bool:
        """Taken off: its person has been seen without it for `off_s`, and it is not a garment that
        stays on (a jacket, a hat, or a garment whose label never locked: not in the outfit yet)."""
        return self.unseen_since is not None and t - self.unseen_since >= off_s and not self.stays_on

    @property
    def entry_key(self) -> str:
        """Its key in the outfit: the slot, or `slot/garment id` for slots that hold several items."""
        return f"{self.slot}/{self.garment_id}" if self.slot in MULTI_ITEM_SLOTS else self.slot


@dataclass
class PersonTrack:
    """One person across frames, under one id for as long as they are in view (or briefly lost),
    with the garments they wear (entry key -> garment)."""

    person_id: int
    first_seen: float
    last_seen: float
    box: np.ndarray
    garments: dict[str, GarmentTrack] = field(default_factory=dict)
    locked: dict[str, str | None] = field(default_factory=dict)  # entry -> its locked label (None: taken off)
    reported: set[str] = field(default_factory=set)  # entries whose first lock is known: later changes are events
    stable: bool = False  # outfit_stable was announced

    def seen(self, t: float, box: np.ndarray, previous_run: float, off_s: float) -> None:
        """Seen at `t`; the time they were out of sight since the detector run at `previous_run`
        does not count as seen without a garment (one already taken off stays off)."""
        out_of_sight = previous_run - self.last_seen
        for garment in self.garments.values():
            if out_of_sight > 0 and garment.unseen_since is not None and not garment.off(self.last_seen, off_s):
                garment.unseen_since += out_of_sight
        self.last_seen, self.box = t, box
