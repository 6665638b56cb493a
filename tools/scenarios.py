"""The scenarios of the tracking evaluation: each a scene builder, its detector noise and how the
pipeline runs it (frame rate, detect_every). Seeds vary the outfits, speeds and start times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tools.synthetic_scenes import ACCESSORIES, COLORS, LOOK_ALIKES, Noise, Scene, Walker

WIDTH, HEIGHT = 1920, 1080


def _outfit(rng: np.random.Generator, accessories: int = 0) -> dict[str, tuple[str, str]]:
    """A random outfit: upper, lower, footwear, sometimes a hat, and `accessories` of bag/belt/watch."""
    def pick(labels: list[str]) -> tuple[str, str]:
        return labels[int(rng.integers(len(labels)))], COLORS[int(rng.integers(len(COLORS)))]

    outfit = {slot: pick(LOOK_ALIKES[slot]) for slot in ("upper", "lower", "footwear")}
    if rng.random() < 0.4:
        outfit["head"] = pick(["hat"])
    for label in rng.permutation(ACCESSORIES)[:accessories]:
        outfit[str(label)] = (str(label), COLORS[int(rng.integers(len(COLORS)))])
    return outfit


def _walkers(rng: np.random.Generator, frames: int, people: int, accessories: int = 0, fps: float = 25.0) -> list[Walker]:
    """People crossing the frame at different heights and speeds; the first takes off a jacket half
    way, the third a cardigan (a t-shirt shows beneath); each change at least 4 s after they came
    in (a label seen for less than the lock time cannot be told from a correction)."""
    walkers = []
    for i in range(people):
        enter = int(rng.integers(0, frames // 4))
        leave = int(min(frames, enter + rng.integers(frames // 2, frames)))
        tall = float(rng.uniform(0.45, 0.7) * HEIGHT)
        top = float(rng.uniform(0.05, 0.4) * HEIGHT)
        x0, x1 = (0.02 * WIDTH, 0.75 * WIDTH) if i % 2 == 0 else (0.75 * WIDTH, 0.05 * WIDTH)
        walkers.append(Walker(i + 1, enter, leave, (x0, top), (x1, top), tall, _outfit(rng, accessories)))
    first = walkers[0]
    first.outfit["outerwear"] = ("jacket", "black")
    settled = round(4 * fps)
    first.changes.append((max((first.enter + first.leave) // 2, first.enter + settled), "outerwear", None))
    if len(walkers) > 2:
        third = walkers[2]
        third.outfit["upper"] = ("cardigan", "red")
        third.changes.append((max((third.enter + third.leave) // 2, third.enter + settled), "upper", ("top, t-shirt, sweatshirt", "white")))
    return walkers


def crowd(seed: int, frames: int, fps: float = 25.0, accessories: int = 0, racks: bool = False, pan: float = 0.0,
          occlusion_s: float = 0.0) -> Scene:
    """Four people walking through, two true outfit changes; optional accessories, racks, camera pan,
    and an occlusion of the second person."""
    rng = np.random.default_rng(seed)
    walkers = _walkers(rng, frames, 4, accessories, fps)
    if occlusion_s:
        second = walkers[1]
        mid = (second.enter + second.leave) // 2
        second.occluded.append((mid, mid + round(occlusion_s * fps)))
    shelf = []
    if racks:
        for k in range(6):
            x = 1500 + 60 * k
            shelf.append((["jacket", "coat", "sweater"][k % 3], COLORS[k % len(COLORS)], np.array([x, 700, x + 55, 900], dtype=np.float32)))
    return Scene(walkers, frames, fps, shelf, pan)


def crossing(seed: int, frames: int, same_clothes: bool) -> Scene:
    """Two people walking towards each other on the same line, crossing mid-frame (one in front)."""
    rng = np.random.default_rng(seed)
    a, b = _outfit(rng), _outfit(rng)
    if same_clothes:
        b = dict(a)
    else:
        b["upper"] = next((lab, "green") for lab in LOOK_ALIKES["upper"] if lab != a["upper"][0])
        b["lower"] = next((lab, "beige") for lab in LOOK_ALIKES["lower"] if lab != a["lower"][0])
    tall = 600.0
    return Scene([Walker(1, 0, frames, (100, 300), (1500, 300), tall, a),
                  Walker(2, 0, frames, (1500, 310), (100, 310), tall * 1.02, b)], frames)


def overtaking(seed: int, frames: int) -> Scene:
    """A fast walker overtakes a slow one in the same direction on the same line."""
    rng = np.random.default_rng(seed)
    tall = 600.0
    slow = Walker(1, 0, frames, (300, 300), (900, 300), tall, _outfit(rng))
    fast = Walker(2, 0, frames, (50, 305), (1500, 305), tall * 1.02, _outfit(rng))
    return Scene([slow, fast], frames)


def passer_by(seed: int, frames: int) -> Scene:
    """A person standing still (looking at a shelf) while another walks past in front, hiding them for a moment."""
    rng = np.random.default_rng(seed)
    standing = Walker(1, 0, frames, (800, 250), (800, 250), 600.0, _outfit(rng))
    passer = Walker(2, frames // 4, frames // 4 + round(3 * 25), (100, 330), (1600, 330), 640.0, _outfit(rng))
    return Scene([standing, passer], frames)


@dataclass(frozen=True)
class Scenario:
    """A named scenario: how to build its scene, the detector's noise, and the pipeline's detect_every."""

    name: str
    build: Callable[[int], Scene]
    noise: Noise
    detect_every: int = 1


def scenarios(frames: int = 300) -> list[Scenario]:
    """Every scenario of the evaluation (`frames` at 25 fps; the 10 fps one covers the same seconds)."""
    bursty = Noise(confusion=0.3, burst_s=0.4)
    return [
        Scenario("independent errors", lambda s: crowd(s, frames), Noise(confusion=0.3)),
        Scenario("bursts 3 frames", lambda s: crowd(s, frames), Noise(confusion=0.3, burst_s=3 / 25)),
        Scenario("bursts 10 frames", lambda s: crowd(s, frames), bursty),
        Scenario("bursts 25 frames", lambda s: crowd(s, frames), Noise(confusion=0.3, burst_s=1.0)),
        Scenario("crossing, different clothes", lambda s: crossing(s, frames, same_clothes=False), bursty),
        Scenario("crossing, same clothes", lambda s: crossing(s, frames, same_clothes=True), bursty),
        Scenario("overtaking", lambda s: overtaking(s, frames), bursty),
        Scenario("2 s occlusion", lambda s: crowd(s, frames, occlusion_s=2.0), bursty),
        Scenario("hidden by a passer-by", lambda s: passer_by(s, frames), bursty),
        Scenario("10 fps", lambda s: crowd(s, frames * 10 // 25, fps=10.0), bursty),
        Scenario("detect_every 3", lambda s: crowd(s, frames), bursty, detect_every=3),
        Scenario("accessories", lambda s: crowd(s, frames, accessories=2), bursty),
        Scenario("garments on racks", lambda s: crowd(s, frames, racks=True), bursty),
        Scenario("camera pan", lambda s: crowd(s, frames, pan=3.0), bursty),
    ]
