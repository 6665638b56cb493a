"""The records the product writes, defined once: a line of `events.jsonl` (`FrameRecord`) and a
line of `outfit_events.jsonl` (`OutfitEvent`), as pydantic models with a schema version.

`schema_version` is 1 (the Literal default of both record kinds: bump them together). Their JSON
Schemas are published in `docs/schemas/` (`python -m stream.records docs/schemas`
writes them; a test keeps them in step with this file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import supervision as sv
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Record(BaseModel):
    """Base of every record: fields as written, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def line(self) -> dict[str, Any]:
        """The record as one JSON-ready dict (None fields of optional parts left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Attribute(Record):
    """A garment attribute (Fashionpedia's ontology) and its share of its group."""

    group: str = Field(description="attribute group (neckline type, textile pattern, ...)")
    label: str
    score: float = Field(description="share of the group (softmax over its attributes); over a track: the mean")


class Item(Record):
    """One detection of the detector (raw, per frame)."""

    label: str
    group: str
    supercategory: str
    score: float
    box: list[float] = Field(description="x1, y1, x2, y2 in pixels of the frame")
    color: str | None = Field(None, description="colour name of the garment's pixels")
    track_id: int | None = None
    attributes: list[Attribute] | None = Field(None, description="with the attributes stage: the leading attribute of each group")


class Track(Record):
    """A tracked person, or a tracked garment with its stable label."""

    kind: Literal["person", "garment"]
    track_id: int = Field(description="unique per source and kind")
    label: str | None = Field(description="stable label (None while a garment has none yet)")
    box: list[float]
    slot: str | None = None
    raw: str | None = Field(None, description="this frame's raw label")
    provisional: bool | None = Field(None, description="the label has not locked yet")
    person: int | None = Field(None, description="the garment's owner (-1: nobody yet)")
    color: str | None = None
    attributes: list[Attribute] | None = Field(None, description="with the attributes stage: voted over the garment's track")


class FrameRecord(Record):
    """A line of events.jsonl: one frame of one source."""

    schema_version: Literal[1] = 1
    source: str
    frame: int = Field(description="index of the frame in its source, from 0")
    pts: float = Field(description="presentation time in seconds, increasing per source")
    time: float = Field(description="wall-clock time of the frame (Unix seconds): a camera's arrival time; "
                                    "a file's recorded start (its creation_time) or else the run's start, plus pts")
    reused: bool = Field(description="detections carried over from an earlier frame (detect_every)")
    items: list[Item]
    tracks: list[Track] | None = Field(None, description="people and garments, when tracking is on")


class OutfitSlot(Record):
    """What one slot of an outfit (upper, lower, outerwear, ...) holds."""

    label: str | None
    confidence: float
    provisional: bool
    since_s: float = Field(description="seconds since the label last changed")
    raw: str | None
    garment: int = Field(description="the garment's track id")
    color: str | None = None
    parts: list[str] = Field(default_factory=list, description="garment parts seen on it (sleeve, zipper, ...)")
    attributes: list[Attribute] = Field(default_factory=list, description="with the attributes stage: voted over the garment's track")


Outfit = dict[str, OutfitSlot]


class EventBase(Record):
    """What every outfit event carries."""

    schema_version: Literal[1] = 1
    event: str = Field(description="the kind of event (each kind fixes it)")
    source: str
    frame: int = Field(description="the frame that raised the event (the last one processed, at the end of a run)")
    pts: float
    time: float = Field(description="wall-clock time of that frame (Unix seconds)")
    person: int


class AppearEvent(EventBase):
    """A person was confirmed by the tracker."""

    event: Literal["appear"] = "appear"


class OutfitStableEvent(EventBase):
    """Every slot of the person's outfit has locked, for the first time."""

    event: Literal["outfit_stable"] = "outfit_stable"
    outfit: Outfit


class SlotChangedEvent(EventBase):
    """A stable label of the outfit changed; `to` is None when the garment was taken off."""

    event: Literal["slot_changed"] = "slot_changed"
    slot: str
    from_: str | None = Field(alias="from")
    to: str | None


class LeaveEvent(EventBase):
    """A person left (unseen for `leave_after_s`, or the run ended), with dwell time and final outfit."""

    event: Literal["leave"] = "leave"
    dwell_s: float
    outfit: Outfit


class ZoneEnterEvent(EventBase):
    """A person's feet entered a zone of the source."""

    event: Literal["zone_enter"] = "zone_enter"
    zone: str


class ZoneExitEvent(EventBase):
    """A person left a zone (outside for the zone's `exit_after_s`, gone, or the run ended), with the time inside."""

    event: Literal["zone_exit"] = "zone_exit"
    zone: str
    dwell_s: float = Field(description="seconds from the entry to the last frame inside")


class LineCrossEvent(EventBase):
    """A person crossed a counting line of the source."""

    event: Literal["line_cross"] = "line_cross"
    line_: str = Field(alias="line")
    direction: Literal["in", "out"]


AnyEvent = AppearEvent | OutfitStableEvent | SlotChangedEvent | LeaveEvent | ZoneEnterEvent | ZoneExitEvent | LineCrossEvent
OutfitEvent = Annotated[AnyEvent, Field(discriminator="event")]
OUTFIT_EVENT = TypeAdapter(OutfitEvent)


def outfit_event(data: dict[str, Any]) -> AnyEvent:
    """Parse (and check) one outfit event from its dict form."""
    return OUTFIT_EVENT.validate_python(data)


def detection_items(detections: sv.Detections, decimals: int = 1) -> list[Item]:
    """One `Item` per detection: label, group, supercategory, score, box (px), colour if named.

    Args:
        detections: the detector's output for one frame.
        decimals: box coordinates are rounded to this many decimals.

    Returns:
        The items, in the order of the detections.
    """
    items = []
    for i in range(len(detections)):
        items.append(Item(
            label=str(detections.data["class_name"][i]),
            group=str(detections.data["group"][i]),
            supercategory=str(detections.data["supercategory"][i]),
            score=round(float(detections.confidence[i]), 4) if detections.confidence is not None else 1.0,
            box=[round(float(v), decimals) for v in detections.xyxy[i]],
            color=str(detections.data["color"][i]) if "color" in detections.data else None,
            track_id=int(detections.tracker_id[i]) if detections.tracker_id is not None else None,
            attributes=attribute_records(detections.data["attributes"][i]) if "attributes" in detections.data else None,
        ))
    return items


def tracked_items(tracked: sv.Detections, decimals: int = 1) -> list[Track]:
    """People and garments from the tracker: id, kind, stable label (provisional or not), raw label, owner, colour.

    Args:
        tracked: the tracker's people and garments for one frame.
        decimals: box coordinates are rounded to this many decimals.

    Returns:
        One `Track` per row.
    """
    tracks = []
    for i in range(len(tracked)):
        kind = str(tracked.data["kind"][i])
        box = [round(float(v), decimals) for v in tracked.xyxy[i]]
        track_id = int(tracked.tracker_id[i]) if tracked.tracker_id is not None else -1
        label = tracked.data["label"][i]
        if kind == "person":
            tracks.append(Track(kind="person", track_id=track_id, label=str(label), box=box))
        else:
            tracks.append(Track(kind="garment", track_id=track_id, label=None if label is None else str(label), box=box,
                                slot=str(tracked.data["slot"][i]), raw=str(tracked.data["class_name"][i]),
                                provisional=bool(tracked.data["provisional"][i]), person=int(tracked.data["person_id"][i]),
                                color=str(tracked.data["color"][i]) or None,
                                attributes=attribute_records(tracked.data["attributes"][i]) if "attributes" in tracked.data else None))
    return tracks


def attribute_records(found: Any) -> list[Attribute]:
    """`data["attributes"]` of one detection (a list of (group, label, score), or None) as records."""
    return [Attribute(group=group, label=label, score=round(float(score), 4)) for group, label, score in (found or [])]


def write_schemas(folder: Path) -> list[Path]:
    """Write the JSON Schemas of both record kinds into `folder`.

    Returns:
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in (("events.schema.json", FrameRecord.model_json_schema(by_alias=True)),
                         ("outfit_events.schema.json", OUTFIT_EVENT.json_schema(by_alias=True))):
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(written_path)
