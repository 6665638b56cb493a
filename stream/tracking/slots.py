"""Outfit slots: where on a person a garment sits. Garment tracks are class-agnostic within a slot,
so "shirt" flickering to "t-shirt" is one track whose label the stabilizer settles."""

from __future__ import annotations

SLOTS = ("upper", "lower", "whole", "outerwear", "footwear", "head", "accessory")
TAKE_OFF_SLOTS = ("outerwear", "head", "accessory")  # people take these off in view; a shirt, pants or shoes unseen are only hidden
PUT_ON_SLOTS = ("outerwear",)  # a garment first seen here once the outfit is stable was put on; elsewhere it was only unseen so far
PARTS = "parts"
_BY_GROUP = {"tops": "upper", "bottoms": "lower", "wholebody": "whole", "outerwear": "outerwear", "footwear": "footwear"}


def slot_of(group: str, supercategory: str) -> str | None:
    """The slot of a garment, `PARTS` for garment parts (attributes), None for labels outside the taxonomy."""
    if group == "parts":
        return PARTS
    if group == "accessories":
        return "head" if supercategory == "head" else "accessory"
    return _BY_GROUP.get(group)
