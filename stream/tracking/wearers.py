"""Who wears a garment: the person whose box holds it, and when two people's boxes hold it, the one
on whom it sits where such a garment sits."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import supervision as sv
from trackers.eval import box_ioa

from stream.detections import track_ids
from stream.tracking.tracks import ITEM_MATCH_IOU, MULTI_ITEM_SLOTS, GarmentTrack, PersonTrack, absolute, relative

PLACE_RATE = 0.02  # how fast the learned place of a kind of garment on people follows new sightings
PLACE_TOLERANCE = 0.15  # people on whom a garment sits this nearly as well as on the best fitting one could wear it
NOBODY = -1  # a garment no tracked person holds


class GarmentPlaces:
    """Where each kind of garment (by label) sits in its wearers' boxes: a running mean, learned
    from garments only one person's box holds (per source)."""

    def __init__(self) -> None:
        self._places: dict[str, np.ndarray] = {}

    def learn(self, label: str, rel: np.ndarray) -> None:
        """One sighting of a `label` garment at `rel` in its wearer's box."""
        place = self._places.get(label)
        self._places[label] = rel if place is None else place + PLACE_RATE * (rel - place)

    def get(self, label: str) -> np.ndarray | None:
        """Where `label` garments sit on people (None: not learned yet)."""
        return self._places.get(label)


def wearers(garments: sv.Detections, slots: np.ndarray, people: sv.Detections, tracks: Mapping[int, PersonTrack],
            owner_ioa: float, places: GarmentPlaces | None) -> list[int]:
    """Per garment detection, the id of the person wearing it, or NOBODY.

    A garment only one person's box holds is theirs (and, with `places`, teaches where on a person
    that kind of garment sits). When two people in front of each other both hold it, it is one on
    whom it sits where it should: with `places` (a person model's boxes), where that kind of
    garment sits on people (their shoulders, their waist); without (boxes built from the garments
    say nothing of where on a body a garment sits), where their own garment of that slot sits. Of
    those, when each wears a garment there whose colour is known, the one whose own (in a slot of
    several items, the one sitting where the garment sits: a hat, not a belt) shows its colour (two
    people crossing keep their own red cardigan and black t-shirt, a crowd its hats; one
    who has none there yet, say a jacket given to someone else as they came in, is not outvoted
    by the colour that mistake taught), else the one nearer the camera (feet lower:
    the other one's garment there would be hidden behind them), else the one whose own garment in
    that slot sits there, else the one holding most of it, else the smaller box.

    Args:
        garments: this frame's garment detections.
        slots: the slot of each detection.
        people: the person boxes that can wear garments (tracker_id: the person id).
        tracks: person id -> what the tracker knows of them (their garments' places).
        owner_ioa: share of a garment's box inside a person's box to be theirs.
        places: where kinds of garments sit on people, learned here; None without a person model.

    Returns:
        One person id (or NOBODY) per garment row.
    """
    if len(people) == 0:
        return [NOBODY] * len(garments)
    inside = box_ioa(garments.xyxy, people.xyxy)
    ids = track_ids(people)
    areas = (people.xyxy[:, 2] - people.xyxy[:, 0]) * (people.xyxy[:, 3] - people.xyxy[:, 1])
    labels = garments.data["class_name"]
    colors = garments.data.get("color")
    holders = []
    for row in range(len(garments)):
        candidates = np.flatnonzero(inside[row] >= owner_ioa)
        if places is not None and len(candidates) == 1:
            places.learn(str(labels[row]), relative(garments.xyxy[row], people.xyxy[candidates[0]]))
        place = places.get(str(labels[row])) if places is not None else None
        fits = []
        for col in candidates:
            usual = float(sv.box_iou_batch(relative(garments.xyxy[row], people.xyxy[col])[None], place[None])[0, 0]) \
                if place is not None else 0.0
            wearer = tracks.get(int(ids[col]))
            own = wearer.garments.get(str(slots[row])) if wearer is not None else None
            expected = absolute(own.rel_box, people.xyxy[col]) if own is not None and own.rel_box is not None else None
            iou = float(sv.box_iou_batch(garments.xyxy[row][None], expected[None])[0, 0]) if expected is not None else 0.0
            sits = usual if places is not None else iou  # where such garments sit on people, or where theirs sat
            there = own if str(slots[row]) not in MULTI_ITEM_SLOTS else _item_there(wearer, str(slots[row]), garments.xyxy[row], people.xyxy[col])
            shows = there.stabilizer.color if there is not None else None
            fits.append((sits, shows, float(people.xyxy[col, 3]), iou, float(inside[row, col]), -float(areas[col]), int(ids[col])))
        if not fits:
            holders.append(NOBODY)
            continue
        best_place = max(f[0] for f in fits)
        plausible = [f for f in fits if f[0] >= best_place - PLACE_TOLERANCE]  # sits where such garments sit on them
        color = str(colors[row]) if colors is not None and colors[row] else None
        known = color is not None and all(f[1] is not None for f in plausible)  # each wears one there, in a known colour
        holders.append(max(plausible, key=lambda f: (known and f[1] == color, *f[2:]))[-1])
    return holders


def _item_there(wearer: PersonTrack | None, slot: str, box: np.ndarray, person_box: np.ndarray) -> GarmentTrack | None:
    """The item of a multi-item slot (a hat, a bag) that sits on `wearer` where `box` sits in their box, if any."""
    if wearer is None:
        return None
    rel = relative(box, person_box)
    items = [(float(sv.box_iou_batch(rel[None], g.rel_box[None])[0, 0]), g) for g in wearer.garments.values()
             if g.slot == slot and g.rel_box is not None]
    best = max(items, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] >= ITEM_MATCH_IOU else None
