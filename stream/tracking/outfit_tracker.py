"""People and their outfits across frames: ByteTrack (from `trackers`) for people and for garments
(one class-agnostic tracker per slot), a label stabilizer per garment track, garments voted onto
the person that contains them, parts as attributes of the garment that contains them, a colour
voted over frames (when detections carry `data["color"]`), and events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker
from trackers.eval import box_ioa

from stream.detections import scores, select, track_ids
from stream.tracking.persons import garment_slots, persons_from_garments
from stream.tracking.settings import TrackingSettings
from stream.tracking.slots import PARTS, SLOTS
from stream.tracking.stabilizer import LabelStabilizer


@dataclass
class GarmentTrack:
    slot: str
    track_id: int
    stabilizer: LabelStabilizer
    last_seen: float
    owners: Counter = field(default_factory=Counter)
    parts: Counter = field(default_factory=Counter)
    colors: Counter = field(default_factory=Counter)
    shown: str | None = None
    label_since: float = 0.0
    missed: int = 0  # detector runs in a row that saw its person but not it

    @property
    def owner(self) -> int:
        return self.owners.most_common(1)[0][0] if self.owners else -1

    def attributes(self, min_count: int) -> list[str]:
        return sorted(label for label, count in self.parts.items() if count >= min_count)

    def color(self, min_count: int) -> str | None:
        """The colour name seen most often, once it was seen `min_count` times."""
        name, count = self.colors.most_common(1)[0] if self.colors else (None, 0)
        return name if count >= min_count else None


@dataclass
class PersonTrack:
    person_id: int
    first_seen: float
    last_seen: float
    announced: dict[str, str | None] | None = None  # slot -> stable label, once the outfit was stable


def _peek(estimator, frame_step: float, frame_rate: float) -> np.ndarray:
    """The box a Kalman filter predicts `frame_step` frames ahead, leaving the filter unchanged."""
    saved = estimator.get_state()
    estimator.predict(frame_step, frame_rate)
    box = estimator.state_to_bbox().copy()
    estimator.set_state(saved)
    return box


def confirmed_tracks(tracker: ByteTrackTracker, detections: sv.Detections, t: float) -> sv.Detections:
    """Update `tracker` with a frame's detections; confirmed tracks only (ByteTrack gives unconfirmed ones id -1)."""
    if len(detections) == 0:
        detections = sv.Detections.empty()
    tracked = tracker.update(detections, timestamp=t)
    return select(tracked, track_ids(tracked) >= 0) if len(tracked) else tracked


def bytetrack_for(settings: TrackingSettings) -> ByteTrackTracker:
    """A ByteTrack with the tracking settings (people and every garment slot use the same)."""
    return ByteTrackTracker(lost_track_buffer=settings.lost_track_buffer, frame_rate=settings.frame_rate,
                            track_activation_threshold=settings.activation_threshold, minimum_iou_threshold=settings.min_iou,
                            high_conf_det_threshold=settings.high_confidence)


class OutfitTracker:
    """Feed each frame's garment detections (and person detections if a person model runs)."""

    def __init__(self, settings: TrackingSettings | None = None) -> None:
        settings = settings or TrackingSettings()
        self.settings = settings
        self.person_tracker = bytetrack_for(settings)
        self.slot_trackers = {slot: bytetrack_for(settings) for slot in SLOTS}
        self.people: dict[int, PersonTrack] = {}
        self.garments: dict[tuple[str, int], GarmentTrack] = {}
        self._last_detected = 0.0  # time of the last detector run
        self.current_outfits: dict[int, dict[str, dict]] = {}  # person id -> slot -> entry, after the last update

    def update(self, garments: sv.Detections, t: float, persons: sv.Detections | None = None,
               detected: bool = True) -> tuple[sv.Detections, list[dict]]:
        """One frame at presentation time `t`. `detected=False` (a `detect_every` gap) predicts
        every track forward instead. Returns people + garments with ids and stable labels, and events."""
        events: list[dict] = []
        if detected:
            self._last_detected = t
            people = confirmed_tracks(self.person_tracker, persons if persons is not None else persons_from_garments(garments), t)
            slots = garment_slots(garments)
            worn = {slot: confirmed_tracks(self.slot_trackers[slot], select(garments, slots == slot), t) for slot in SLOTS}
            self._observe_people(people, t, events)
            self._observe_garments(worn, people, t)
            self._count_misses(people, t)
            self._observe_parts(select(garments, slots == PARTS) if len(garments) else garments, worn)
        else:
            people = self._predict(self.person_tracker, t)
            worn = {slot: self._predict(tracker, t) for slot, tracker in self.slot_trackers.items()}
        outfits = self._update_outfits(t, events)
        self._leave(t, events)
        self.current_outfits = {person_id: outfit for person_id, outfit in outfits.items() if person_id in self.people}
        return self._as_detections(people, worn, outfits), events

    # --- tracking -------------------------------------------------------------------------
    def _predict(self, tracker: ByteTrackTracker, t: float) -> sv.Detections:
        """Boxes of the tracks matched at the last detector run, carried to `t` by their Kalman
        filters. The tracker itself is left as it was: feeding it empty frames would reset its
        consecutive-match counts, and with `detect_every` > 1 no new track would ever be confirmed."""
        step = max(0.0, (t - self._last_detected) * self.settings.frame_rate)
        live = [tr for tr in tracker.tracks if tr.tracker_id >= 0 and tr.time_since_update == 0]
        if not live:
            return sv.Detections.empty()
        return sv.Detections(xyxy=np.array([_peek(tr.state_estimator, step, self.settings.frame_rate) for tr in live], dtype=np.float32),
                             confidence=np.ones(len(live), dtype=np.float32),
                             tracker_id=np.array([tr.tracker_id for tr in live], dtype=int))

    # --- observations -----------------------------------------------------------------------
    def _observe_people(self, people: sv.Detections, t: float, events: list[dict]) -> None:
        for person_id in track_ids(people):
            person = self.people.get(int(person_id))
            if person is None:
                self.people[int(person_id)] = PersonTrack(int(person_id), first_seen=t, last_seen=t)
                events.append({"event": "appear", "person": int(person_id), "pts": t})
            else:
                person.last_seen = t

    def _observe_garments(self, worn: dict[str, sv.Detections], people: sv.Detections, t: float) -> None:
        for slot, tracked in worn.items():
            if len(tracked) == 0:
                continue
            inside = box_ioa(tracked.xyxy, people.xyxy) if len(people) else np.zeros((len(tracked), 0))
            owners = track_ids(people)
            for row, track_id in enumerate(track_ids(tracked)):
                owner = int(owners[inside[row].argmax()]) if inside.shape[1] and inside[row].max() >= self.settings.owner_ioa else -1
                garment = self.garments.get((slot, int(track_id))) or self._new_garment(slot, int(track_id), owner, t)
                if owner >= 0:
                    garment.owners[owner] += 1
                garment.stabilizer.update(str(tracked.data["class_name"][row]), float(scores(tracked)[row]))
                if tracked.data.get("color") is not None and tracked.data["color"][row]:
                    garment.colors[str(tracked.data["color"][row])] += 1
                garment.last_seen = t
                if garment.stabilizer.label != garment.shown:
                    garment.shown, garment.label_since = garment.stabilizer.label, t

    def _count_misses(self, people: sv.Detections, t: float) -> None:
        """A garment not seen while its person is: one miss more (occlusion of the whole person is no miss)."""
        present = {int(i) for i in track_ids(people)}
        for garment in self.garments.values():
            garment.missed = 0 if garment.last_seen == t else garment.missed + (garment.owner in present)

    def _new_garment(self, slot: str, track_id: int, owner: int, t: float) -> GarmentTrack:
        """A new track; if the same person lost a garment in this slot a moment ago, it is that one again."""
        garment = GarmentTrack(slot, track_id, LabelStabilizer(self.settings.stabilizer), last_seen=t)
        recent = [g for g in self.garments.values() if g.slot == slot and g.owner == owner >= 0
                  and 0 < t - g.last_seen <= self.settings.relink_s]
        if recent:
            previous = max(recent, key=lambda g: g.last_seen)
            del self.garments[(slot, previous.track_id)]
            garment.stabilizer, garment.owners, garment.parts = previous.stabilizer, previous.owners, previous.parts
            garment.colors = previous.colors
            garment.shown, garment.label_since = previous.shown, previous.label_since
        self.garments[(slot, track_id)] = garment
        return garment

    def _observe_parts(self, parts: sv.Detections, worn: dict[str, sv.Detections]) -> None:
        """Each part (sleeve, collar, zipper, ...) counts for the garment that contains most of it."""
        if len(parts) == 0:
            return
        keys = [(slot, int(i)) for slot, tracked in worn.items() for i in track_ids(tracked)]
        if not keys:
            return
        boxes = np.concatenate([tracked.xyxy for tracked in worn.values() if len(tracked)])
        inside = box_ioa(parts.xyxy, boxes)
        for row, label in enumerate(parts.data["class_name"]):
            if inside[row].max() >= self.settings.part_ioa:
                self.garments[keys[int(inside[row].argmax())]].parts[str(label)] += 1

    # --- outfits and events ------------------------------------------------------------------
    def outfit(self, person_id: int, t: float) -> dict[str, dict]:
        """The person's current outfit: per slot, the garment seen most, with its stable label."""
        best: dict[str, GarmentTrack] = {}
        for garment in self.garments.values():
            current = garment.owner == person_id and garment.missed < self.settings.slot_miss_limit
            if current and (garment.slot not in best or garment.stabilizer.observations > best[garment.slot].stabilizer.observations):
                best[garment.slot] = garment
        return {
            slot: {"label": g.stabilizer.label, "confidence": round(g.stabilizer.confidence, 3), "provisional": not g.stabilizer.locked,
                   "since_s": round(t - g.label_since, 2), "raw": g.stabilizer.raw, "garment": g.track_id,
                   "color": g.color(self.settings.attribute_min_count), "attributes": g.attributes(self.settings.attribute_min_count)}
            for slot, g in sorted(best.items(), key=lambda item: SLOTS.index(item[0]))
        }

    def _update_outfits(self, t: float, events: list[dict]) -> dict[int, dict[str, dict]]:
        """Every person's outfit at `t` (returned for drawing), and the events its changes raise."""
        outfits = {person_id: self.outfit(person_id, t) for person_id in self.people}
        for person in self.people.values():
            outfit = outfits[person.person_id]
            stable = {slot: entry["label"] for slot, entry in outfit.items() if not entry["provisional"]}
            if person.announced is None:
                if outfit and len(stable) == len(outfit):
                    person.announced = dict(stable)
                    events.append({"event": "outfit_stable", "person": person.person_id, "pts": t, "outfit": outfit})
                continue
            if person.last_seen < t:
                continue  # not observed in this frame (occluded, or a detect_every gap): nothing new to say
            for slot in SLOTS:
                if slot in outfit and outfit[slot]["provisional"]:
                    continue  # a new garment in this slot: wait until its label locks
                new, old = stable.get(slot), person.announced.get(slot)
                if new != old:
                    person.announced[slot] = new
                    events.append({"event": "slot_changed", "person": person.person_id, "pts": t, "slot": slot, "from": old, "to": new})
        return outfits

    def _leave_event(self, person: PersonTrack, t: float) -> dict:
        return {"event": "leave", "person": person.person_id, "pts": t, "dwell_s": round(person.last_seen - person.first_seen, 2),
                "outfit": self.outfit(person.person_id, person.last_seen)}

    def _leave(self, t: float, events: list[dict]) -> None:
        for person in [p for p in self.people.values() if t - p.last_seen > self.settings.leave_after_s]:
            events.append(self._leave_event(person, t))
            del self.people[person.person_id]
            for key in [k for k, g in self.garments.items() if g.owner == person.person_id]:
                del self.garments[key]

    def finish(self) -> list[dict]:
        """End of the stream: everyone still here leaves (with dwell time and final outfit)."""
        events = [self._leave_event(person, person.last_seen) for person in self.people.values()]
        self.people.clear()
        self.garments.clear()
        return events

    # --- output ---------------------------------------------------------------------------------
    def _as_detections(self, people: sv.Detections, worn: dict[str, sv.Detections], outfits: dict[int, dict]) -> sv.Detections:
        """People and garments as one `sv.Detections` (data: kind, label, raw class, slot, person, colour, outfit)."""
        keys = ("kind", "label", "class_name", "slot", "provisional", "person_id", "color", "outfit")
        boxes: list[np.ndarray] = []
        confidences: list[float] = []
        ids: list[int] = []
        data: dict[str, list[Any]] = {k: [] for k in keys}

        def add(box: np.ndarray, score: float, track_id: int, **values: Any) -> None:
            boxes.append(box)
            confidences.append(score)
            ids.append(track_id)
            for key in data:
                data[key].append(values.get(key, ""))

        for row, person_id in enumerate(track_ids(people)):
            outfit = outfits.get(int(person_id), {}) if int(person_id) in self.people else {}  # {} once they left
            text = ", ".join(f"{e['color'] + ' ' if e['color'] else ''}{e['label']}{'?' if e['provisional'] else ''}" for e in outfit.values())
            add(people.xyxy[row], float(scores(people)[row]), int(person_id), kind="person", label="person", class_name="person",
                slot="", provisional=False, person_id=int(person_id), outfit=text)
        for slot, tracked in worn.items():
            for row, track_id in enumerate(track_ids(tracked)):
                garment = self.garments.get((slot, int(track_id)))
                if garment is None:
                    continue
                raw = str(tracked.data["class_name"][row]) if "class_name" in tracked.data else garment.stabilizer.raw
                add(tracked.xyxy[row], float(scores(tracked)[row]), int(track_id), kind="garment", label=garment.stabilizer.label,
                    class_name=raw, slot=slot, provisional=not garment.stabilizer.locked, person_id=garment.owner,
                    color=garment.color(self.settings.attribute_min_count) or "")
        if not boxes:
            return sv.Detections.empty()
        return sv.Detections(xyxy=np.array(boxes, dtype=np.float32), confidence=np.array(confidences, dtype=np.float32),
                             class_id=np.zeros(len(boxes), dtype=int), tracker_id=np.array(ids, dtype=int),
                             data={k: np.array(v, dtype=object) for k, v in data.items()})
