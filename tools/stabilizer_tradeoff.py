"""The stabilizer's trade-off: false label switches against the delay to follow a true change.

    python -m tools.stabilizer_tradeoff [--streams 100] [--plot out/stabilizer_tradeoff.png]

One garment's label stream at a time, fed straight to `LabelStabilizer` (no tracker, so identity
errors do not blur it): the detector names the garment right or confuses it with a look-alike,
in bursts (a two-state Markov chain, confused `confusion` of the time, bursts of a mean length),
misses it 10 % of the time, and names its colour wrong 10 % of the time. Half the streams hold
one true change half way (a cardigan taken off shows a t-shirt in another colour). Every
combination of `half_life_s`, `switch_s`, `lock_s` and `lock_share` in the grid runs on the same
streams, in each condition (bursts of 3, 10 and 25 frames at 25 fps, a 10 fps source,
`detect_every: 3`). Per setting, the worst condition's:

- false events a minute: locked-label switches with the garment's colour changed (what
  `slot_changed` reports) that do not come within 2 s of a true change;
- followed within 2 s: true changes with such an event within 2 s (and how often it names the
  new label);
- wrong first locks: garments whose label first locked on a wrong label (a false `outfit_stable`).

A second table sweeps `same_color_switch_s` alone, per condition: switches a minute of the raw
and of the shown label, the share of wrong labels shown, changes followed and false events.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stream.io import format_table
from stream.tracking.settings import StabilizerSettings
from stream.tracking.stabilizer import LabelStabilizer
from tools.synthetic_scenes import burst_rates, next_confusion

FOLLOW_S = 2.0
DURATION_S = 24.0
LOOK_ALIKES = ["shirt, blouse", "top, t-shirt, sweatshirt", "sweater", "cardigan"]  # the upper look-alikes (this order: the README's figures)
COLORS = ["red", "white", "navy", "black", "beige"]
HALF_LIVES = [0.5, 0.75, 1.0]
SAME_COLOR_WAITS = [1.0, 2.0, 2.5, 3.0, 4.0]  # same_color_switch_s: the second sweep, other settings at their defaults


@dataclass(frozen=True)
class Condition:
    """How the detector errs and how often it runs."""

    name: str
    burst_frames: float
    fps: float = 25.0
    detect_every: int = 1
    confusion: float = 0.3
    miss: float = 0.1
    color_noise: float = 0.1


CONDITIONS = [Condition("bursts 3 frames", 3), Condition("bursts 10 frames", 10), Condition("bursts 25 frames", 25),
              Condition("10 fps, bursts 4 frames", 4, fps=10.0), Condition("detect_every 3, bursts 10", 10, detect_every=3)]


@dataclass(frozen=True)
class Stream:
    """One garment: what the detector said (time, label, colour), and the truth."""

    observations: list[tuple[float, str, str]]
    first: str
    change: float | None  # when it changed (None: never)
    final: str  # what it changed to (`first` when it did not)


def stream(condition: Condition, rng: np.random.Generator) -> Stream:
    """One garment's stream under `condition`."""
    first, second = rng.choice(len(LOOK_ALIKES), 2, replace=False)
    color_a, color_b = rng.choice(len(COLORS), 2, replace=False)
    change = float(rng.uniform(0.4, 0.6) * DURATION_S) if rng.random() < 0.5 else None
    rates = burst_rates(condition.confusion, condition.burst_frames)
    wrong: str | None = None
    observations = []
    for frame in range(int(DURATION_S * condition.fps)):
        t = frame / condition.fps
        changed = change is not None and t >= change
        label, color = (LOOK_ALIKES[second], COLORS[color_b]) if changed else (LOOK_ALIKES[first], COLORS[color_a])
        wrong = next_confusion(wrong, [x for x in LOOK_ALIKES if x != label], rates, rng)
        if wrong == label:  # the garment changed into what it was confused with
            wrong = None
        if frame % condition.detect_every or rng.random() < condition.miss:
            continue
        seen_color = COLORS[int(rng.integers(len(COLORS)))] if rng.random() < condition.color_noise else color
        observations.append((t, wrong or label, seen_color))
    return Stream(observations, LOOK_ALIKES[first], change, LOOK_ALIKES[second] if change is not None else LOOK_ALIKES[first])


def score(settings: StabilizerSettings, streams: list[Stream]) -> dict[str, float]:
    """What the tracker's `slot_changed` events would say, scored as `tools.eval_tracking` does:
    an event (a locked label switched with the garment's colour) within 2 s of a true change
    follows it; every other event is false. Also how often the following event names the new
    label, the median delay, and the share of garments whose first lock was on a wrong label."""
    false_events = followed = changes = named = wrong_locks = locks = 0
    delays = []
    for garment in streams:
        change = garment.change
        stabilizer = LabelStabilizer(settings)
        was_locked, hit = False, False
        for t, label, color in garment.observations:
            switched = stabilizer.update(label, 0.75, t, color)
            if stabilizer.locked and not was_locked:
                locks += 1
                wrong_locks += stabilizer.label != (garment.final if change is not None and t >= change else garment.first)
                was_locked = True
            if not switched or stabilizer.corrected:
                continue  # no event: nothing switched, or a look-alike corrected in the same colour
            if change is not None and 0 <= t - change <= FOLLOW_S and not hit:
                hit = True
                followed += 1
                named += stabilizer.label == garment.final
                delays.append(t - change)
            else:
                false_events += 1
        changes += change is not None
    minutes = len(streams) * DURATION_S / 60
    return {"false_per_min": false_events / minutes, "followed": followed / max(1, changes), "named": named / max(1, followed),
            "median_delay": float(np.median(delays)) if delays else float("nan"), "wrong_locks": wrong_locks / max(1, locks)}


def flicker(settings: StabilizerSettings, streams: list[Stream]) -> dict[str, float]:
    """What a viewer sees of one garment's label: switches a minute of the raw labels and of the
    shown label (provisional changes and same-colour corrections included, a true change too),
    and the share of observations whose shown label is wrong."""
    raw = shown = wrong = seen = 0
    for garment in streams:
        stabilizer, last_raw, last_shown = LabelStabilizer(settings), None, None
        for t, label, color in garment.observations:
            stabilizer.update(label, 0.75, t, color)
            truth = garment.final if garment.change is not None and t >= garment.change else garment.first
            raw += last_raw is not None and label != last_raw
            shown += last_shown is not None and stabilizer.label != last_shown
            wrong += stabilizer.label != truth
            seen += 1
            last_raw, last_shown = label, stabilizer.label
    minutes = len(streams) * DURATION_S / 60
    return {"raw_per_min": raw / minutes, "shown_per_min": shown / minutes, "wrong": wrong / max(1, seen)}


def same_color_sweep(streams: int, seed: int = 0) -> list[list]:
    """`same_color_switch_s` against label flicker, wrong shown labels and true changes followed,
    per condition, the other settings at their defaults (same streams as `sweep`)."""
    data = {c.name: [stream(c, np.random.default_rng([seed, i, k])) for i in range(streams)] for k, c in enumerate(CONDITIONS)}
    rows = []
    for wait in SAME_COLOR_WAITS:
        settings = StabilizerSettings(same_color_switch_s=wait)
        for name, garments in data.items():
            seen, events = flicker(settings, garments), score(settings, garments)
            rows.append([f"{wait}{'*' if wait == StabilizerSettings().same_color_switch_s else ''}", name, f"{seen['raw_per_min']:.1f}",
                         f"{seen['shown_per_min']:.2f}", f"{seen['raw_per_min'] / max(seen['shown_per_min'], 1e-9):.0f}x",
                         f"{100 * seen['wrong']:.1f}%", f"{100 * events['followed']:.0f}%", f"{events['false_per_min']:.3f}"])
    return rows


def sweep(streams: int, seed: int = 0) -> list[dict]:
    """Every setting of the grid on the same streams of every condition."""
    data = {c.name: [stream(c, np.random.default_rng([seed, i, k])) for i in range(streams)] for k, c in enumerate(CONDITIONS)}
    rows = []
    for half_life, switch_s, lock_s, lock_share in itertools.product(HALF_LIVES, [0.25, 0.5], [2.0, 3.0], [0.6, 0.7]):
        settings = StabilizerSettings(half_life_s=half_life, switch_s=switch_s, lock_s=lock_s, lock_share=lock_share)
        per = {name: score(settings, s) for name, s in data.items()}
        rows.append({"half_life_s": half_life, "switch_s": switch_s, "lock_s": lock_s, "lock_share": lock_share, "per": per,
                     "false_per_min": max(p["false_per_min"] for p in per.values()), "followed": min(p["followed"] for p in per.values()),
                     "median_delay": max(p["median_delay"] for p in per.values()), "wrong_locks": max(p["wrong_locks"] for p in per.values()),
                     "named": min(p["named"] for p in per.values())})
    return rows


def plot(rows: list[dict], path: Path, chosen: dict) -> None:
    """False events a minute against changes followed within 2 s (worst condition), one point per setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for half_life, marker in zip(HALF_LIVES, "osD"):
        mine = [r for r in rows if r["half_life_s"] == half_life]
        ax.scatter([100 * r["followed"] for r in mine], [r["false_per_min"] for r in mine], marker=marker, alpha=0.7,
                   label=f"half_life_s {half_life}")
    ax.scatter([100 * chosen["followed"]], [chosen["false_per_min"]], s=250, facecolors="none", edgecolors="red", label="default")
    ax.axvline(90, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("true changes followed within 2 s (worst condition, %)")
    ax.set_ylabel("false slot_changed a minute per garment (worst condition)")
    ax.set_title("Stabilizer settings: false events vs following true changes")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=100, help="garment streams per condition")
    parser.add_argument("--plot", type=Path, default=Path("out/stabilizer_tradeoff.png"))
    args = parser.parse_args()
    rows = sweep(args.streams)
    current = StabilizerSettings()
    chosen = next((r for r in rows if (r["half_life_s"], r["switch_s"], r["lock_s"], r["lock_share"])
                   == (current.half_life_s, current.switch_s, current.lock_s, current.lock_share)), rows[0])
    rows.sort(key=lambda r: (-round(r["followed"], 2), r["false_per_min"]))
    print(f"{args.streams} garment streams of {DURATION_S:.0f} s per condition ({', '.join(c.name for c in CONDITIONS)}); "
          "worst condition per setting; * = the defaults")
    print(format_table(["half_life_s", "switch_s", "lock_s", "lock_share", "false events/min", "followed <=2s",
                        "new label named", "median delay s", "wrong first locks"],
                       [[f"{r['half_life_s']}{'*' if r is chosen else ''}", r["switch_s"], r["lock_s"], r["lock_share"],
                         f"{r['false_per_min']:.3f}", f"{100 * r['followed']:.0f}%", f"{100 * r['named']:.0f}%",
                         f"{r['median_delay']:.2f}", f"{100 * r['wrong_locks']:.1f}%"] for r in rows]))
    print("the defaults per condition:")
    print(format_table(["condition", "false events/min", "followed <=2s", "new label named", "median delay s", "wrong first locks"],
                       [[name, f"{p['false_per_min']:.3f}", f"{100 * p['followed']:.0f}%", f"{100 * p['named']:.0f}%", f"{p['median_delay']:.2f}",
                         f"{100 * p['wrong_locks']:.1f}%"] for name, p in chosen["per"].items()]))
    plot(rows, args.plot, chosen)
    print(f"plot: {args.plot}")
    print("same_color_switch_s (how long a look-alike in the same colour must lead to take over) against what a viewer sees:")
    print(format_table(["same_color_switch_s", "condition", "raw switches/min", "shown switches/min", "fewer", "shown wrong",
                        "followed <=2s", "false events/min"], same_color_sweep(args.streams)))


if __name__ == "__main__":
    main()
