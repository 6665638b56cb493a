"""A child process for the store's crash tests: people walk past a camera (scripted detections,
the real pipeline, tracker, zones and store sink) until the process is stopped or killed.

    python -m tests.store_writer DB_URL_OR_FILE

Prints `processed N` after each frame (N frames processed so far), paced at 50 frames a second.
"""

from __future__ import annotations

import sys

from stream.analytics.settings import LineSettings, ZoneSettings
from stream.pipeline import Pipeline, SourceSpec
from stream.run_job import stop_on_signals
from stream.sinks.event_store import EventStoreSettings, EventStoreSink
from tests.fakes import pipeline_config
from tools.walking_scene import WalkingScene

FRAMES = 100_000
PACE_S = 0.02


def scene() -> WalkingScene:
    """A new person every 2 s, each in view for 6 s, walking left to right over the zone and the line."""
    return WalkingScene([(start, start + 59, 100, 20, 10.0) for start in range(0, FRAMES, 20)], FRAMES)


def main(target: str) -> None:
    walking = scene()
    reader = walking.reader(pace_s=PACE_S)
    spec = SourceSpec("cam", reader, zones=[ZoneSettings(name="window", polygon=[(250, 0), (400, 0), (400, 360), (250, 360)])],
                      lines=[LineSettings(name="door", start=(500, 0), end=(500, 360))])
    sink = EventStoreSink(target, EventStoreSettings(batch_s=0.5))
    processed = [0]

    def progress(_result) -> None:
        processed[0] += 1
        print(f"processed {processed[0]}", flush=True)

    pipeline = Pipeline([spec], walking.garment_detector(), [sink], pipeline_config(tracking=True),
                        person_detector=walking.person_detector(), on_result=progress)
    with stop_on_signals(pipeline):
        pipeline.run()
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
