"""People and their outfits across frames.

A motion tracker (BoT-SORT by default, from `trackers`, through `stream.tracking.adapter`)
follows people. Garments are anchored to the person whose box holds them: the upper garment
seen inside a person's box *is* that person's upper garment, so two people crossing cannot swap
garments, and "shirt" flickering to "t-shirt" stays one garment whose label the stabilizer
settles. Slots that hold several items (head, accessory) match items by where they sit on the
person. Garments inside nobody's box (racks, mannequins) get a tracker of their own and are
forgotten after `forget_s`. Ids of people and garments come from one counter per source. A
person found again after a short loss is re-identified by their outfit and keeps their id. A
jacket, hat or accessory is taken off when its person is seen without it for `off_s` while nothing
hides it; a locked shirt, pants, dress or shoes unseen are hidden, never taken off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import supervision as sv
from trackers.eval import box_ioa

from stream.detections import match_boxes, scores, select, track_ids
from stream.tracking import adapter
from stream.tracking.persons import FollowedPerson, garment_slots, persons_from_garments
from stream.tracking.reid import find_again
from stream.tracking.settings import TrackingSettings
from stream.tracking.slots import PARTS, PUT_ON_SLOTS, SLOTS
from stream.tracking.stabilizer import LabelStabilizer
from stream.tracking.tracks import ITEM_MATCH_IOU, MULTI_ITEM_SLOTS, GarmentTrack, PersonTrack, absolute, hidden_behind, relative
from stream.tracking.wearers import NOBODY, GarmentPlaces, wearers

UNTRACKED = -2  # holds garments: someone not followed yet, whose garments wait until they are
NEWCOMER_IOU = 0.5  # a person box overlapping no tracked person's box this much is someone not tracked yet


def _untracked(found: sv.Detections, tracked: np.ndarray) -> np.ndarray:
    """The boxes of `found` (this frame's person boxes) left over when each tracked person's box
    takes the one it overlaps most (one each, at least NEWCOMER_IOU): people not tracked yet,
    even one standing right in front of someone tracked."""
    matched = match_boxes(found.xyxy.reshape(-1, 4), tracked, NEWCOMER_IOU)
    return found.xyxy.reshape(-1, 4)[[row not in matched for row in range(len(found))]].astype(np.float32)


class OutfitTracker:
    """Feed it every frame's garment detections (and a person model's, if any); it returns people
    and garments with ids and stable labels, and the events of the frame."""

    def __init__(self, settings: TrackingSettings | None = None) -> None:
        self.settings = s = settings or TrackingSettings()
        self._boxes_from_model: bool | None = None  # whether a person model gives the boxes (known at the first detector run)
        self.person_tracker = self._make_person_tracker(person_model=False)
        self.loose_tracker = adapter.make_tracker("bytetrack", s.lost_track_for(person_model=False), s.frame_rate, s.activation_threshold,
                                                  s.high_confidence, s.min_iou)
        self.people: dict[int, PersonTrack] = {}
        self.loose: dict[int, GarmentTrack] = {}  # motion track id -> a garment nobody wears
        self.current_outfits: dict[int, dict[str, dict]] = {}  # person id -> entry -> state, after the last update
        self._person_ids: dict[int, int] = {}  # motion track id -> person id
        self._places = GarmentPlaces()  # where kinds of garments sit on people (learned from a person model's boxes)
        self._next_id = 1
        self._last_detected = 0.0

    def _make_person_tracker(self, person_model: bool) -> Any:
        s = self.settings
        return adapter.make_tracker(s.person_tracker, s.lost_track_for(person_model), s.frame_rate, s.activation_threshold,
                                    s.high_confidence, s.min_iou, s.camera_motion)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    @property
    def garments(self) -> list[GarmentTrack]:
        """Every garment the tracker holds: worn ones and loose ones."""
        return [g for p in self.people.values() for g in p.garments.values()] + list(self.loose.values())

    def update(self, garments: sv.Detections, t: float, persons: sv.Detections | None = None,
               detected: bool = True, frame: np.ndarray | None = None) -> tuple[sv.Detections, list[dict]]:
        """One frame at presentation time `t`.

        Args:
            garments: the garment detector's output (labels in `data["class_name"]`, groups, colours).
            t: presentation time in seconds.
            persons: a person model's boxes; None builds people from the garments.
            detected: False for a frame the detector skipped (`detect_every`): tracks are predicted.
            frame: the image, for camera-motion compensation (only used when that is on).

        Returns:
            People and garments as one `sv.Detections` (ids, stable labels in `data`), and the events.
        """
        events: list[dict] = []
        if detected:
            raw_people = persons if persons is not None else persons_from_garments(garments, self._followed(t), hidden_ioa=self.settings.hidden_ioa)
            previous_run, self._last_detected = self._last_detected, t
            if self._boxes_from_model is None:  # the first detector run says which kind of person boxes come
                self._boxes_from_model = persons is not None
                self.person_tracker = self._make_person_tracker(self._boxes_from_model)
            tracked = adapter.update(self.person_tracker, raw_people, t, frame if self.settings.camera_motion else None)
            people = self._identify(tracked, garments, t, previous_run, events)
            held = self._public(adapter.held(self.person_tracker))  # missed for a moment: still wearing their garments
            known = np.concatenate([people.xyxy, held.xyxy]).reshape(-1, 4).astype(np.float32)
            newcomers = _untracked(raw_people, known)  # someone the motion tracker does not follow yet wears their own garments
            holding = sv.Detections(xyxy=np.concatenate([known, newcomers]).astype(np.float32),
                                    tracker_id=np.concatenate([track_ids(people), track_ids(held), np.full(len(newcomers), UNTRACKED)]).astype(int))
            slots = garment_slots(garments)
            worn = np.array([s not in ("", PARTS) for s in slots], dtype=bool)
            seen = self._wear(select(garments, worn) if len(garments) else garments, holding, t, by_place=persons is not None)
            self._count_absences(people, holding, t)
            self._observe_parts(select(garments, slots == PARTS) if len(garments) else garments, seen)
            shown = [(g, g.box, str(g.stabilizer.raw)) for g in seen]  # each garment seen, its box, this frame's raw label
        else:
            people = self._public(adapter.predicted(self.person_tracker, t - self._last_detected, self.settings.frame_rate))
            shown = self._garments_predicted(people, t)
        outfits = self._update_outfits(t, events)
        self._leave(t, events)
        self._forget(t)
        self.current_outfits = {person_id: outfit for person_id, outfit in outfits.items() if person_id in self.people}
        return self._as_detections(people, shown, outfits), events

    # --- people -------------------------------------------------------------------------------
    def _identify(self, tracked: sv.Detections, garments: sv.Detections, t: float, previous_run: float, events: list[dict]) -> sv.Detections:
        """Motion-track ids -> person ids: known ones mapped, new ones re-identified by their
        outfit when someone was lost a moment ago, else a new person (an `appear` event). The time
        a person was out of sight does not count as seen without a garment."""
        for row, motion_id in enumerate(track_ids(tracked)):
            motion_id, box = int(motion_id), tracked.xyxy[row]
            if motion_id not in self._person_ids:
                found = find_again(box, garments, self._lost_people(t), self.settings, t) if self.settings.reidentify else None
                if found is None:
                    found = self._new_id()
                    self.people[found] = PersonTrack(found, first_seen=t, last_seen=t, box=box)
                    events.append({"event": "appear", "person": found, "pts": t})
                self._person_ids[motion_id] = found
            self.people[self._person_ids[motion_id]].seen(t, box, previous_run, self.settings.off_s)
        alive = adapter.live_ids(self.person_tracker)
        self._person_ids = {m: p for m, p in self._person_ids.items() if m in alive and p in self.people}  # bounded
        return self._public(tracked)

    def _followed(self, t: float) -> list[FollowedPerson]:
        """The people the motion tracker follows, where its filters put them at `t`, with where each
        one's garments (those not taken off) sit on them: to build their boxes from the garments."""
        followed = []
        for tracks, lost in ((adapter.predicted(self.person_tracker, t - self._last_detected, self.settings.frame_rate), False),
                             (adapter.held(self.person_tracker), True)):
            people = self._public(tracks)
            for box, person_id in zip(people.xyxy, track_ids(people)):
                person = self.people[int(person_id)]
                places = [(g.slot, g.rel_box) for g in person.garments.values() if g.rel_box is not None and not g.off(t, self.settings.off_s)]
                if places:
                    followed.append(FollowedPerson(box, places, t - person.first_seen, lost))
        return followed

    def _lost_people(self, t: float) -> list[PersonTrack]:
        """People not seen in this frame whose motion track has ended, and who have not left yet."""
        followed = set(self._person_ids.values())
        return [p for p in self.people.values() if p.last_seen < t and p.person_id not in followed]

    def _public(self, tracked: sv.Detections) -> sv.Detections:
        """The same boxes with person ids instead of motion-track ids (unknown tracks dropped)."""
        if len(tracked) == 0:
            return tracked
        people = select(tracked, np.array([int(i) in self._person_ids for i in track_ids(tracked)], dtype=bool))
        people.tracker_id = np.array([self._person_ids[int(i)] for i in track_ids(people)], dtype=int)
        return people

    # --- garments -----------------------------------------------------------------------------
    def _wear(self, garments: sv.Detections, people: sv.Detections, t: float, by_place: bool) -> list[GarmentTrack]:
        """Each garment detection onto the person wearing it (`stream.tracking.wearers`; `by_place`:
        with a person model's boxes) or onto a loose garment; returns the garments seen."""
        seen: list[GarmentTrack] = []
        if len(garments) == 0:
            adapter.update(self.loose_tracker, garments, t)
            return seen
        slots = garment_slots(garments)
        holder = wearers(garments, slots, people, self.people, self.settings.owner_ioa, self._places if by_place else None)
        for person_id in {h for h in holder if h >= 0}:
            person = self.people[person_id]
            rows = [r for r in range(len(garments)) if holder[r] == person_id]
            for slot in {str(slots[r]) for r in rows}:
                in_slot = sorted((r for r in rows if slots[r] == slot), key=lambda r: -float(scores(garments)[r]))
                matched = self._match_items(person, slot, in_slot, garments, self._box_of(person_id, people)) \
                    if slot in MULTI_ITEM_SLOTS else \
                    {in_slot[0]: person.garments.get(slot)}
                for row, garment in matched.items():
                    if garment is None or garment.off(t, self.settings.off_s):
                        garment = GarmentTrack(self._new_id(), slot, LabelStabilizer(self.settings.stabilizer), t, t, garments.xyxy[row],
                                               owner=person_id)
                        person.garments[garment.entry_key] = garment
                    self._observe(garment, garments, row, t, self._box_of(person_id, people))
                    seen.append(garment)
        loose_rows = np.array([h == NOBODY for h in holder], dtype=bool)
        loose = adapter.update(self.loose_tracker, select(garments, loose_rows), t)
        for row, motion_id in enumerate(track_ids(loose)):
            garment = self.loose.get(int(motion_id))
            if garment is None:
                garment = self.loose[int(motion_id)] = GarmentTrack(self._new_id(), str(garment_slots(loose)[row]),
                                                                    LabelStabilizer(self.settings.stabilizer), t, t, loose.xyxy[row])
            self._observe(garment, loose, row, t, None)
            seen.append(garment)
        return seen

    def _match_items(self, person: PersonTrack, slot: str, rows: list[int], garments: sv.Detections,
                     person_box: np.ndarray) -> dict[int, GarmentTrack | None]:
        """Detections of a multi-item slot -> the person's items there, by where they sit on the person."""
        items = [(g, g.rel_box) for g in person.garments.values() if g.slot == slot and g.rel_box is not None]
        matched: dict[int, GarmentTrack | None] = {}
        taken: set[int] = set()
        for row in rows:
            rel = relative(garments.xyxy[row], person_box)
            ious = [(float(sv.box_iou_batch(rel[None], where[None])[0, 0]), g) for g, where in items if g.garment_id not in taken]
            best = max(ious, key=lambda pair: pair[0], default=(0.0, None))
            if best[1] is not None and best[0] >= ITEM_MATCH_IOU:
                matched[row] = best[1]
                taken.add(best[1].garment_id)
            else:
                matched[row] = None
        return matched

    def _observe(self, garment: GarmentTrack, detections: sv.Detections, row: int, t: float, person_box: np.ndarray | None) -> None:
        colors = detections.data.get("color")
        color = str(colors[row]) if colors is not None and colors[row] else None
        garment.observe(str(detections.data["class_name"][row]), float(scores(detections)[row]), color, detections.xyxy[row], t, person_box)

    @staticmethod
    def _box_of(person_id: int, people: sv.Detections) -> np.ndarray:
        return people.xyxy[int(np.flatnonzero(track_ids(people) == person_id)[0])]

    def _count_absences(self, people: sv.Detections, holding: sv.Detections, t: float) -> None:
        """A garment not seen while its person is: absent since now, unless the box of another
        person nearer the camera covers it (a passer-by hides it; `tracks.hidden_behind`). Nothing
        is counted while the whole person is unseen."""
        boxes, ids = holding.xyxy, track_ids(holding)
        for person_id in track_ids(people):
            person = self.people[int(person_id)]
            unseen = [g for g in person.garments.values() if g.last_seen != t]
            where = np.array([absolute(g.rel_box, person.box) if g.rel_box is not None else g.box for g in unseen]).reshape(-1, 4)
            hidden = hidden_behind(where, person.box, boxes[ids != person_id], self.settings.hidden_ioa)
            for garment, covered in zip(unseen, hidden):
                if covered:
                    if not garment.off(t, self.settings.off_s):
                        garment.unseen_since = None  # hidden: not missing (one already taken off stays off)
                elif garment.unseen_since is None:
                    garment.unseen_since = t

    def _observe_parts(self, parts: sv.Detections, seen: list[GarmentTrack]) -> None:
        """Each part (sleeve, collar, zipper, ...) counts for the garment seen now that holds most of it."""
        if len(parts) == 0 or not seen:
            return
        inside = box_ioa(parts.xyxy, np.array([g.box for g in seen]))
        for row, label in enumerate(parts.data["class_name"]):
            if inside[row].max() >= self.settings.part_ioa:
                seen[int(inside[row].argmax())].parts[str(label)] += 1

    def _forget(self, t: float) -> None:
        """Garments unseen for `forget_s` are dropped (bounded state: racks, hats, bags); a worn garment
        that stays on (one per slot) goes with its person."""
        alive = adapter.live_ids(self.loose_tracker)
        self.loose = {m: g for m, g in self.loose.items() if m in alive and t - g.last_seen <= self.settings.forget_s}
        for person in self.people.values():
            person.garments = {k: g for k, g in person.garments.items() if g.stays_on or t - g.last_seen <= self.settings.forget_s}

    def _garments_predicted(self, people: sv.Detections, t: float) -> list[tuple[GarmentTrack, np.ndarray, str]]:
        """Between detector runs: the garments seen at the last run, carried along with their person."""
        shown = []
        for row, person_id in enumerate(track_ids(people)):
            for garment in self.people[int(person_id)].garments.values():
                if garment.last_seen == self._last_detected and garment.rel_box is not None:
                    shown.append((garment, absolute(garment.rel_box, people.xyxy[row]), str(garment.stabilizer.raw)))
        return shown

    # --- outfits and events -------------------------------------------------------------------
    def outfit(self, person_id: int, t: float) -> dict[str, dict[str, Any]]:
        """The person's current outfit (entry -> state); garments taken off are left out."""
        s = self.settings
        person = self.people.get(person_id)
        worn = [g for g in person.garments.values() if not g.off(t, s.off_s)] if person else []
        worn.sort(key=lambda g: (SLOTS.index(g.slot), g.garment_id))
        return {g.entry_key: {"label": g.stabilizer.label, "confidence": round(g.stabilizer.confidence, 3), "provisional": not g.stabilizer.locked,
                              "since_s": round(t - g.label_since, 2), "raw": g.stabilizer.raw, "garment": g.garment_id,
                              "color": g.color(s.attribute_min_count), "parts": g.seen_parts(s.attribute_min_count)} for g in worn}

    def _update_outfits(self, t: float, events: list[dict]) -> dict[int, dict[str, dict]]:
        """Every person's outfit at `t`, and the events its changes raise.

        `outfit_stable`: the first time every entry is locked. `slot_changed`: a locked label
        changed to another in another colour, or a jacket with a locked label was taken off, or
        (once the outfit was stable) an outerwear garment's label locked (a jacket put on; pants
        or shoes first seen late were only unseen so far, no change). A provisional label corrected
        before it locked is no change, nor is a locked label corrected to a look-alike in the same
        colour (the detector's confusion, not a garment changed), nor an item of a multi-item slot
        (a watch, a belt, a hat) coming into or out of view: small items hide behind arms and bags
        for seconds, and in the evaluation these were most of the false events; they are in the
        outfit while in view. An entry's changes are followed even while another entry is still
        provisional."""
        outfits = {person_id: self.outfit(person_id, t) for person_id in self.people}
        for person in self.people.values():
            outfit = outfits[person.person_id]
            stable = {key: entry["label"] for key, entry in outfit.items() if not entry["provisional"]}
            if person.last_seen < t:
                continue  # not observed in this frame (occluded, or a detect_every gap): nothing new to say
            for key in sorted(set(person.locked) | set(outfit)):
                if key in outfit and outfit[key]["provisional"]:
                    continue  # a new garment here: wait until its label locks
                new, old = stable.get(key), person.locked.get(key)
                if new == old:
                    continue
                person.locked[key] = new
                garment = person.garments.get(key)
                corrected = new is not None and old is not None and garment is not None and garment.stabilizer.corrected
                comes_or_goes = key.split("/")[0] in MULTI_ITEM_SLOTS and (new is None or old is None)  # a watch, a hat in or out of view
                put_on = person.stable and key in PUT_ON_SLOTS
                if not corrected and not comes_or_goes and (key in person.reported or put_on):
                    events.append({"event": "slot_changed", "person": person.person_id, "pts": t, "slot": key, "from": old, "to": new})
                person.reported.add(key)
            if not person.stable and outfit and len(stable) == len(outfit):
                person.stable = True
                events.append({"event": "outfit_stable", "person": person.person_id, "pts": t, "outfit": outfit})
        return outfits

    def _leave_event(self, person: PersonTrack, t: float) -> dict:
        return {"event": "leave", "person": person.person_id, "pts": t, "dwell_s": round(person.last_seen - person.first_seen, 2),
                "outfit": self.outfit(person.person_id, person.last_seen)}

    def _leave(self, t: float, events: list[dict]) -> None:
        for person in [p for p in self.people.values() if t - p.last_seen > self.settings.leave_after_s]:
            events.append(self._leave_event(person, t))
            self._drop(person.person_id)

    def _drop(self, person_id: int) -> None:
        del self.people[person_id]
        self._person_ids = {m: p for m, p in self._person_ids.items() if p != person_id}

    def finish(self) -> list[dict]:
        """End of the stream: everyone still here leaves (with dwell time and final outfit)."""
        events = [self._leave_event(person, person.last_seen) for person in self.people.values()]
        for person_id in list(self.people):
            self._drop(person_id)
        self.loose.clear()
        return events

    # --- output -------------------------------------------------------------------------------
    def _as_detections(self, people: sv.Detections, shown: list[tuple[GarmentTrack, np.ndarray, str]],
                       outfits: dict[int, dict]) -> sv.Detections:
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
        for garment, box, raw in shown:
            add(box, round(garment.stabilizer.confidence, 3), garment.garment_id, kind="garment", label=garment.stabilizer.label,
                class_name=raw, slot=garment.slot, provisional=not garment.stabilizer.locked, person_id=garment.owner,
                color=garment.color(self.settings.attribute_min_count) or "")
        if not boxes:
            return sv.Detections.empty()
        return sv.Detections(xyxy=np.array(boxes, dtype=np.float32), confidence=np.array(confidences, dtype=np.float32),
                             class_id=np.zeros(len(boxes), dtype=int), tracker_id=np.array(ids, dtype=int),
                             data={k: np.array(v, dtype=object) for k, v in data.items()})
