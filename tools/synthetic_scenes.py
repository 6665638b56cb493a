"""Synthetic scenes with ground truth for the tracker: people walking through a frame in known
outfits, seen by a detector whose errors are correlated in time (look-alike label confusion in
bursts, misses, box jitter), with true outfit changes, occlusions, crossings, passers-by,
accessories, garment racks and a panning camera."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from engines.taxonomy import load_taxonomy
from stream.tracking.tracks import absolute

# Classes a detector confuses with each other, per slot.
LOOK_ALIKES = {
    "upper": ["top, t-shirt, sweatshirt", "shirt, blouse", "sweater", "cardigan"],
    "lower": ["pants", "shorts", "skirt"],
    "outerwear": ["jacket", "coat"],
    "footwear": ["shoe"],
    "head": ["hat", "headband, head covering, hair accessory"],
}
ACCESSORIES = ["bag, wallet", "belt", "watch"]  # worn together, not mistaken for one another
# Where each garment sits inside a person's box (x1, y1, x2, y2 as fractions).
LAYOUT = {"head": (0.3, 0.0, 0.7, 0.12), "upper": (0.15, 0.15, 0.85, 0.5), "outerwear": (0.1, 0.14, 0.9, 0.55),
          "lower": (0.2, 0.5, 0.8, 0.88), "footwear": (0.25, 0.88, 0.75, 1.0),
          "bag, wallet": (0.75, 0.35, 1.0, 0.6), "belt": (0.2, 0.48, 0.8, 0.53), "watch": (0.05, 0.45, 0.15, 0.5),
          "glasses": (0.35, 0.04, 0.65, 0.08)}
COLORS = ["black", "white", "blue", "red", "navy", "beige", "gray", "green"]
TAXONOMY = load_taxonomy()  # read once: detections_for runs every frame
PART_LAYOUT = {"sleeve": (0.0, 0.05, 0.25, 0.7), "collar": (0.35, 0.0, 0.65, 0.15)}


@dataclass
class Walker:
    """A person: a straight path between `enter` and `leave`, an outfit (item -> (label, colour)),
    changes (frame, item, new label or None), and frames when nobody can see them."""

    person_id: int
    enter: int
    leave: int
    start: tuple[float, float]
    end: tuple[float, float]
    height: float
    outfit: dict[str, tuple[str, str]]
    changes: list[tuple[int, str, tuple[str, str] | None]] = field(default_factory=list)
    occluded: list[tuple[int, int]] = field(default_factory=list)

    def box(self, frame: int) -> np.ndarray:
        progress = min(1.0, max(0.0, (frame - self.enter) / max(1, self.leave - self.enter)))
        x = self.start[0] + progress * (self.end[0] - self.start[0])
        y = self.start[1] + progress * (self.end[1] - self.start[1])
        return np.array([x, y, x + self.height * 0.38, y + self.height], dtype=np.float32)

    def outfit_at(self, frame: int) -> dict[str, tuple[str, str]]:
        outfit = dict(self.outfit)
        for when, item, garment in sorted(self.changes, key=lambda c: c[0]):
            if frame >= when:
                if garment is None:
                    outfit.pop(item, None)
                else:
                    outfit[item] = garment
        return outfit

    def visible(self, frame: int) -> bool:
        return self.enter <= frame < self.leave and not any(a <= frame < b for a, b in self.occluded)


@dataclass
class Scene:
    """Everything a scenario is made of; `pan_px` moves the whole picture per frame (a panning camera)."""

    walkers: list[Walker]
    frames: int
    fps: float = 25.0
    racks: list[tuple[str, str, np.ndarray]] = field(default_factory=list)  # (label, colour, box): garments nobody wears
    pan_px: float = 0.0


@dataclass(frozen=True)
class Noise:
    """The detector's errors. Confusion comes in bursts: once a garment is confused, the same wrong
    label stays for a while (mean `burst_s`), and `confusion` of the time is spent confused."""

    confusion: float = 0.3
    burst_s: float = 0.0  # 0: every frame on its own
    miss: float = 0.1
    jitter: float = 0.03
    part_rate: float = 0.6


def slot_of_item(item: str) -> str:
    """The slot an outfit item is in (accessories are keyed by their label)."""
    if item in LOOK_ALIKES:
        return item
    return "head" if item == "glasses" else "accessory"


def burst_rates(confusion: float, burst_frames: float) -> tuple[float, float]:
    """Per frame, the chances of a two-state (right / confused) chain to start and to end a
    confusion, so that it is confused `confusion` of the time in bursts of `burst_frames` on average."""
    leave = 1.0 / burst_frames if burst_frames >= 1 else 1.0
    enter = min(1.0, confusion * leave / max(1e-9, 1 - confusion)) if confusion < 1 else 1.0
    return enter, leave


def next_confusion(wrong: str | None, others: list[str], rates: tuple[float, float], rng: np.random.Generator) -> str | None:
    """One frame of that chain: the look-alike a garment is taken for now (None: named right)."""
    enter, leave = rates
    if wrong is not None and rng.random() < leave:
        return None
    if wrong is None and rng.random() < enter:
        return others[int(rng.integers(len(others)))]
    return wrong


class Detector:
    """A noisy garment detector over a scene: per garment, a two-state (right / confused) Markov chain."""

    def __init__(self, scene: Scene, noise: Noise, seed: int) -> None:
        self.scene, self.noise = scene, noise
        self.rng = np.random.default_rng(seed)
        self.confused: dict[tuple[int, str], str | None] = {}
        self.rates = burst_rates(noise.confusion, noise.burst_s * scene.fps)

    def _label(self, key: tuple[int, str], label: str, slot: str) -> str:
        others = [x for x in LOOK_ALIKES.get(slot, []) if x != label]
        if not others:
            return label
        if self.noise.burst_s <= 0:
            return others[int(self.rng.integers(len(others)))] if self.rng.random() < self.noise.confusion else label
        wrong = self.confused[key] = next_confusion(self.confused.get(key), others, self.rates, self.rng)
        return wrong or label

    def frame(self, frame: int) -> tuple[sv.Detections, list[dict]]:
        """What the detector reports for `frame`, and the truth (people, worn garments) it was drawn from."""
        noise, pan = self.noise, self.scene.pan_px * frame
        rows: list[tuple[np.ndarray, float, str, str]] = []
        truth = []
        people = [(w, w.box(frame) - np.array([pan, 0, pan, 0], dtype=np.float32)) for w in self.scene.walkers if w.visible(frame)]
        for walker, person in people:
            truth.append({"kind": "person", "id": walker.person_id, "box": person})
        for walker, person in people:
            in_front = [b for other, b in people if other is not walker and other.start[1] + other.height > walker.start[1] + walker.height]
            wearing = walker.outfit_at(frame)
            for item in (i for i in walker.outfit if i not in wearing):  # taken off: can anyone see that it is gone?
                box = absolute(np.array(LAYOUT[item] if item in LAYOUT else LAYOUT[walker.outfit[item][0]]), person)
                truth.append({"kind": "removed", "id": walker.person_id, "item": item, "slot": slot_of_item(item), "box": box,
                              "hidden": _hidden(box, in_front)})
            for item, (label, color) in wearing.items():
                box = absolute(np.array(LAYOUT[item] if item in LAYOUT else LAYOUT[label]), person)
                slot = slot_of_item(item)
                garment = {"kind": "garment", "id": walker.person_id, "item": item, "slot": slot, "label": label, "box": box,
                           "hidden": _hidden(box, in_front)}
                truth.append(garment)
                if garment["hidden"]:
                    continue  # hidden behind someone nearer the camera
                if self.rng.random() < noise.miss:
                    continue
                seen = self._label((walker.person_id, item), label, slot)
                size = np.array([box[2] - box[0], box[3] - box[1]] * 2)
                rows.append((box + self.rng.normal(0, noise.jitter, 4) * size, float(self.rng.uniform(0.55, 0.95)), seen, color))
                if slot == "upper":
                    for part, (px1, py1, px2, py2) in PART_LAYOUT.items():
                        if self.rng.random() < noise.part_rate:
                            gw, gh = box[2] - box[0], box[3] - box[1]
                            part_box = np.array([box[0] + px1 * gw, box[1] + py1 * gh, box[0] + px2 * gw, box[1] + py2 * gh])
                            rows.append((part_box, float(self.rng.uniform(0.5, 0.9)), part, ""))
        for label, color, box in self.scene.racks:
            if self.rng.random() >= noise.miss:
                shifted = box - np.array([pan, 0, pan, 0], dtype=np.float32)
                rows.append((shifted + self.rng.normal(0, noise.jitter * 10, 4), float(self.rng.uniform(0.55, 0.9)), label, color))
        return _detections(rows), truth

    def people(self, truth: list[dict]) -> sv.Detections:
        """What a person detector reports: the true person boxes, jittered, some missed."""
        found = [t for t in truth if t["kind"] == "person" and self.rng.random() >= self.noise.miss]
        if not found:
            return sv.Detections.empty()
        boxes = np.array([p["box"] + self.rng.normal(0, self.noise.jitter, 4) * (p["box"][3] - p["box"][1]) * 0.3 for p in found])
        return sv.Detections(xyxy=boxes.astype(np.float32), confidence=self.rng.uniform(0.6, 0.95, len(found)).astype(np.float32),
                             class_id=np.zeros(len(found), dtype=int), data={"class_name": np.array(["person"] * len(found), dtype=object)})


def _hidden(box: np.ndarray, in_front: list[np.ndarray]) -> bool:
    """True when the box of someone nearer the camera covers half of `box`."""
    return any(_covered(box, b) for b in in_front)


def _covered(box: np.ndarray, by: np.ndarray) -> bool:
    x1, y1, x2, y2 = max(box[0], by[0]), max(box[1], by[1]), min(box[2], by[2]), min(box[3], by[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter >= 0.5 * (box[2] - box[0]) * (box[3] - box[1])


def _detections(rows: list[tuple[np.ndarray, float, str, str]]) -> sv.Detections:
    if not rows:
        return sv.Detections.empty()
    infos = [TAXONOMY.lookup(label) for _, _, label, _ in rows]
    return sv.Detections(
        xyxy=np.array([r[0] for r in rows], dtype=np.float32), confidence=np.array([r[1] for r in rows], dtype=np.float32),
        class_id=np.zeros(len(rows), dtype=int),
        data={"class_name": np.array([r[2] for r in rows], dtype=object), "group": np.array([i.group for i in infos], dtype=object),
              "supercategory": np.array([i.supercategory for i in infos], dtype=object),
              "color": np.array([r[3] for r in rows], dtype=object)},
    )
