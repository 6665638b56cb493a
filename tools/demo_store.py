"""A simulated half hour of a shop camera through the real pipeline (tracker, zones, line, event
store) with a scripted model, then `fashion-stream report` on it: to see the report's tables and
charts with plausible numbers where no trained model is at hand.

    python -m tools.demo_store --out out/demo_store [--minutes 30] [--seed 0]

Writes OUT/events.db, OUT/report.html and OUT/charts/*.png.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from datetime import datetime
from pathlib import Path

from stream.analytics.settings import LineSettings, ZoneSettings
from stream.cli import main as cli_main
from stream.config import RunConfig
from stream.pipeline import Pipeline, SourceSpec
from stream.sinks.event_store import EventStoreSink
from tools.walking_scene import Walker, WalkingScene

FPS = 5.0
UPPERS = [("top, t-shirt, sweatshirt", 5), ("shirt, blouse", 3), ("sweater", 2), ("dress", 1.5)]
LOWERS = [("pants", 6), ("skirt", 2), ("shorts", 1.5)]
COLORS = [("black", 5), ("white", 3), ("blue", 3), ("gray", 2), ("red", 1), ("beige", 1), ("green", 0.7)]


def pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def shoppers(minutes: float, rng: random.Random) -> list[Walker]:
    """Arrivals busier in the middle of the period; each walks across at their own pace, some slowly (browsing)."""
    walkers, t, end = [], 0.0, minutes * 60
    while t < end:
        rate = 0.08 + 0.12 * math.sin(math.pi * t / end)  # people a second
        t += rng.expovariate(rate)
        speed = rng.choice([1.0, 1.5, 3.0, 5.0, 8.0]) * rng.choice([1, -1])
        frames = int((640 + 60) / abs(speed))
        first = int(t * FPS)
        x0 = -60.0 if speed > 0 else 640.0
        upper = pick(rng, UPPERS)
        walkers.append(Walker(first, first + frames, rng.uniform(60, 150), x0, speed, upper, pick(rng, LOWERS), pick(rng, COLORS)))
    return walkers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo_store"))
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "events.db"
    db.unlink(missing_ok=True)
    rng = random.Random(args.seed)
    scene = WalkingScene(shoppers(args.minutes, rng), int(args.minutes * 60 * FPS), fps=FPS)
    reader = scene.reader()
    reader.start_time = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0).timestamp()  # opening time today
    spec = SourceSpec("entrance", reader, zones=[ZoneSettings(name="new-in", polygon=[(220, 0), (420, 0), (420, 360), (220, 360)])],
                      lines=[LineSettings(name="door", start=(560, 0), end=(560, 360))])
    started = time.monotonic()
    config = RunConfig.model_validate({"progress": False, "stages": [], "tracking": {"enabled": True}})
    pipeline = Pipeline([spec], scene.garment_detector(), [EventStoreSink(db)], config,
                        person_detector=scene.person_detector())
    summary = pipeline.run()
    print(f"simulated {len(scene.people)} shoppers, {summary['sources']['entrance']['frames_processed']} frames "
          f"in {time.monotonic() - started:.0f} s")
    cli_main(["report", "--db", str(db), "--html", str(args.out / "report.html"), "--png", str(args.out / "charts")])


if __name__ == "__main__":
    main()
