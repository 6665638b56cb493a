"""Synthetic scenes with ground truth for the tracker: people walking through a frame in known
outfits, seen by a noisy detector (look-alike label confusion, misses, box jitter, occlusions),
with true outfit changes (a jacket taken off)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from engines.taxonomy import load_taxonomy

# Classes a detector confuses with each other, per slot (the first is used as a default truth).
LOOK_ALIKES = {
    "upper": ["top, t-shirt, sweatshirt", "shirt, blouse", "sweater", "cardigan"],
    "lower": ["pants", "shorts", "skirt"],
    "outerwear": ["jacket", "coat"],
    "footwear": ["shoe"],
    "head": ["hat", "headband, head covering, hair accessory"],
}
# Where each slot sits inside a person's box (x1, y1, x2, y2 as fractions).
LAYOUT = {"head": (0.3, 0.0, 0.7, 0.12), "upper": (0.15, 0.15, 0.85, 0.5), "outerwear": (0.1, 0.14, 0.9, 0.55),
          "lower": (0.2, 0.5, 0.8, 0.88), "footwear": (0.25, 0.88, 0.75, 1.0)}
TAXONOMY = load_taxonomy()  # read once: detections_for runs every frame
PART_LAYOUT = {"sleeve": (0.0, 0.05, 0.25, 0.7), "collar": (0.35, 0.0, 0.65, 0.15)}


@dataclass
class Walker:
    person_id: int
    enter: int
    leave: int
    x_start: float
    x_end: float
    top: float
    height: float
    outfit: dict[str, str]
    changes: list[tuple[int, str, str | None]] = field(default_factory=list)  # (frame, slot, new label or None)
    occluded: list[tuple[int, int]] = field(default_factory=list)

    def box(self, frame: int) -> np.ndarray:
        progress = (frame - self.enter) / max(1, self.leave - self.enter)
        x = self.x_start + progress * (self.x_end - self.x_start)
        width = self.height * 0.38
        return np.array([x, self.top, x + width, self.top + self.height], dtype=np.float32)

    def outfit_at(self, frame: int) -> dict[str, str]:
        outfit = dict(self.outfit)
        for when, slot, label in sorted(self.changes):
            if frame >= when:
                if label is None:
                    outfit.pop(slot, None)
                else:
                    outfit[slot] = label
        return outfit

    def visible(self, frame: int) -> bool:
        return self.enter <= frame < self.leave and not any(a <= frame < b for a, b in self.occluded)


@dataclass(frozen=True)
class Noise:
    confusion: float = 0.3  # chance a garment gets a look-alike's label
    miss: float = 0.1  # chance a garment is not detected in a frame
    jitter: float = 0.03  # box noise, as a fraction of the box size
    part_rate: float = 0.6  # chance a sleeve/collar is detected on the upper garment


def make_walkers(frames: int = 300, people: int = 4, seed: int = 0, width: int = 1920, height: int = 1080) -> list[Walker]:
    """People crossing the frame at different heights and speeds; half-way the first takes off a
    jacket and the third a cardigan (a t-shirt beneath); the second is occluded for a while."""
    rng = np.random.default_rng(seed)
    walkers = []
    for i in range(people):
        enter = int(rng.integers(0, frames // 4))
        leave = int(min(frames, enter + rng.integers(frames // 2, frames)))
        tall = float(rng.uniform(0.45, 0.7) * height)
        left_to_right = i % 2 == 0
        x0, x1 = (0.02 * width, 0.75 * width) if left_to_right else (0.75 * width, 0.05 * width)
        outfit = {slot: labels[int(rng.integers(len(labels)))] for slot, labels in LOOK_ALIKES.items() if slot != "head"}
        if rng.random() < 0.5:
            outfit["head"] = "hat"
        walkers.append(Walker(i + 1, enter, leave, x0, x1, float(rng.uniform(0.05, 0.4) * height), tall, outfit))
    first = walkers[0]
    first.outfit["outerwear"] = "jacket"
    first.changes.append(((first.enter + first.leave) // 2, "outerwear", None))
    if len(walkers) > 2:  # takes off a cardigan: the t-shirt beneath shows
        third = walkers[2]
        third.outfit["upper"] = "cardigan"
        third.changes.append(((third.enter + third.leave) // 2, "upper", "top, t-shirt, sweatshirt"))
    if len(walkers) > 1:
        second = walkers[1]
        mid = (second.enter + second.leave) // 2
        second.occluded.append((mid, mid + 12))
    return walkers


def detections_for(walkers: list[Walker], frame: int, noise: Noise, rng: np.random.Generator) -> tuple[sv.Detections, list[dict]]:
    """What a noisy garment detector reports for `frame`, and the truth it was drawn from."""
    boxes, scores, names, truth = [], [], [], []
    for walker in walkers:
        if not walker.visible(frame):
            continue
        person = walker.box(frame)
        w, h = person[2] - person[0], person[3] - person[1]
        truth.append({"kind": "person", "id": walker.person_id, "box": person})
        for slot, label in walker.outfit_at(frame).items():
            fx1, fy1, fx2, fy2 = LAYOUT[slot]
            box = np.array([person[0] + fx1 * w, person[1] + fy1 * h, person[0] + fx2 * w, person[1] + fy2 * h], dtype=np.float32)
            truth.append({"kind": "garment", "id": walker.person_id, "slot": slot, "label": label, "box": box})
            if rng.random() < noise.miss:
                continue
            size = np.array([box[2] - box[0], box[3] - box[1]] * 2)
            seen = label
            others = [x for x in LOOK_ALIKES[slot] if x != label]
            if others and rng.random() < noise.confusion:
                seen = others[int(rng.integers(len(others)))]
            boxes.append(box + rng.normal(0, noise.jitter, 4) * size)
            scores.append(float(rng.uniform(0.55, 0.95)))
            names.append(seen)
            if slot == "upper":
                for part, (px1, py1, px2, py2) in PART_LAYOUT.items():
                    if rng.random() < noise.part_rate:
                        gw, gh = box[2] - box[0], box[3] - box[1]
                        boxes.append(np.array([box[0] + px1 * gw, box[1] + py1 * gh, box[0] + px2 * gw, box[1] + py2 * gh]))
                        scores.append(float(rng.uniform(0.5, 0.9)))
                        names.append(part)
    if not boxes:
        return sv.Detections.empty(), truth
    infos = [TAXONOMY.lookup(name) for name in names]
    detections = sv.Detections(
        xyxy=np.array(boxes, dtype=np.float32), confidence=np.array(scores, dtype=np.float32),
        class_id=np.zeros(len(boxes), dtype=int),
        data={"class_name": np.array(names, dtype=object), "group": np.array([i.group for i in infos], dtype=object),
              "supercategory": np.array([i.supercategory for i in infos], dtype=object)},
    )
    return detections, truth


def person_detections_for(truth: list[dict], noise: Noise, rng: np.random.Generator) -> sv.Detections:
    """What a person detector reports: the true person boxes, jittered, some missed."""
    people = [t for t in truth if t["kind"] == "person" and rng.random() >= noise.miss]
    if not people:
        return sv.Detections.empty()
    boxes = np.array([p["box"] + rng.normal(0, noise.jitter, 4) * (p["box"][3] - p["box"][1]) * 0.3 for p in people], dtype=np.float32)
    return sv.Detections(xyxy=boxes, confidence=rng.uniform(0.6, 0.95, len(people)).astype(np.float32),
                         class_id=np.zeros(len(people), dtype=int), data={"class_name": np.array(["person"] * len(people), dtype=object)})
