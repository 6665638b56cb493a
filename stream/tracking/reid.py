"""Re-identifying people by their outfit: the outfit is the appearance this product already has.

When the motion tracker starts a new track, the person may be someone it lost a moment ago (an
occlusion longer than the tracker keeps lost tracks, a missed stretch). Their garments in this
frame are compared with the stable labels and colours of the people lost recently; a match that
agrees on enough of the outfit, contradicts none of it and is near enough to where they were
last seen gives the new track their id.
"""

from __future__ import annotations

import numpy as np
import supervision as sv
from trackers.eval import box_ioa

from stream.tracking.persons import garment_slots
from stream.tracking.settings import TrackingSettings
from stream.tracking.tracks import MULTI_ITEM_SLOTS, GarmentTrack, PersonTrack

MIN_AGREEMENT = 2  # slots (label or colour) that must agree


def seen_in(box: np.ndarray, garments: sv.Detections, settings: TrackingSettings) -> dict[str, tuple[str, str | None]]:
    """Slot -> (label, colour) of the garments detected inside `box` in this frame."""
    if len(garments) == 0:
        return {}
    inside = box_ioa(garments.xyxy, box[None])[:, 0] >= settings.owner_ioa
    slots = garment_slots(garments)
    colors = garments.data.get("color")
    seen = {}
    for row in np.flatnonzero(inside):
        slot = str(slots[row])
        if slot and slot not in MULTI_ITEM_SLOTS and slot != "parts":
            seen[slot] = (str(garments.data["class_name"][row]), str(colors[row]) if colors is not None else None)
    return seen


def agreement(seen: dict[str, tuple[str, str | None]], outfit: dict[str, GarmentTrack], settings: TrackingSettings) -> int | None:
    """How many slots agree (same stable label, or same colour); None when one contradicts both."""
    agree = 0
    for slot, (label, color) in seen.items():
        garment = outfit.get(slot)
        if garment is None or not garment.stabilizer.locked:
            continue
        same_label = label == garment.stabilizer.label
        known = garment.color(settings.attribute_min_count)
        same_color = color is not None and known is not None and color == known
        if not same_label and not same_color:
            if known is not None and color is not None:
                return None  # another label and another colour: someone else
            continue
        agree += int(same_label) + int(same_color)
    return agree


def outfit_of(person: PersonTrack) -> dict[str, GarmentTrack]:
    """A person's garments of single-item slots, by slot."""
    return {g.slot: g for g in person.garments.values() if g.slot not in MULTI_ITEM_SLOTS}


def find_again(box: np.ndarray, garments: sv.Detections, lost: list[PersonTrack], settings: TrackingSettings, t: float) -> int | None:
    """The id of the recently lost person a new track most likely is, or None.

    Args:
        box: the new track's box.
        garments: this frame's garment detections.
        lost: people whose track ended and who have not left yet (with their garments).
        settings: the tracking settings (owner_ioa, attribute_min_count).
        t: the time now.

    Returns:
        The person id, or None for a new person.
    """
    seen = seen_in(box, garments, settings)
    if not seen or not lost:
        return None
    height = max(1.0, float(box[3] - box[1]))
    center = (box[:2] + box[2:]) / 2
    best, best_score = None, 0
    for person in lost:
        reach = height * (0.5 + 1.5 * (t - person.last_seen))  # walking pace, in body heights per second
        if np.linalg.norm(center - (person.box[:2] + person.box[2:]) / 2) > reach:
            continue
        score = agreement(seen, outfit_of(person), settings)
        if score is not None and score >= MIN_AGREEMENT and score > best_score:
            best, best_score = person.person_id, score
    return best
