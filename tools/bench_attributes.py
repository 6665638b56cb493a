"""What the attributes cost: CLIP per garment crop vs the detector per frame, and the `attributes`
stage's cost per frame on a shop scene (tracked garments sampled `samples` times each) vs scoring
every garment of every frame. Random weights at the real models' sizes (YOLOS-small, CLIP ViT-B/32,
fashion-clip's architecture): the timings are the real models'.

    python -m tools.bench_attributes [--minutes 3] [--repeats 7] [--clip DIR] [--model DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.attributes import AttributeScorer, AttributeSettings
from engines.detector import YolosDetector
from stream.config import RunConfig
from stream.io import format_table
from stream.pipeline import Pipeline, SourceSpec
from stream.stages.attributes import AttributeStage
from tools.bench_interleaved import cpu_description, spread
from tools.demo_store import shoppers
from tools.walking_scene import WalkingScene


def timed(call, repeats: int) -> list[float]:
    """Seconds of each of `repeats` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the simulated shop scene")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--clip", help="CLIP model (default: random, ViT-B/32 sizes)")
    parser.add_argument("--model", help="YOLOS checkpoint (default: random, YOLOS-small sizes)")
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    print(cpu_description())
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (432, 768, 3), dtype=np.uint8)  # the shared video's size
    with tempfile.TemporaryDirectory() as tmp:
        from tools.make_checkpoint import make_checkpoint, make_clip

        clip = args.clip or str(make_clip(Path(tmp) / "clip", preset="base"))
        model = args.model or str(make_checkpoint(Path(tmp) / "yolos", preset="small"))
        scorer = AttributeScorer(AttributeSettings(model=clip, batch_size=8))
        with YolosDetector.from_settings(model=model) as detector:
            detect = timed(lambda: detector.detect([frame]), args.repeats)
        boxes = np.array([[100 + 40 * i, 50, 220 + 40 * i, 300] for i in range(8)], dtype=float)
        crop8 = [t / 8 for t in timed(lambda: scorer.score(frame, boxes, ["dress"] * 8), args.repeats)]
        crop1 = timed(lambda: scorer.score(frame, boxes[:1], ["dress"]), args.repeats)

        scene = WalkingScene(shoppers(args.minutes, random.Random(0)), int(args.minutes * 60 * WalkingScene.FPS))
        config = RunConfig.model_validate({"progress": False, "tracking": {"enabled": True},
                                           "stages": [{"type": "attributes", "model": clip, "samples": args.samples, "batch_size": 8}]})
        pipeline = Pipeline([SourceSpec("shop", scene.reader())], scene.garment_detector(), [], config, person_detector=scene.person_detector())
        summary = pipeline.run()
        stage = next(s for s in pipeline.stages if isinstance(s, AttributeStage))
        scorer = stage.scorer
    frames = summary["sources"]["shop"]["frames_processed"]
    garments_per_frame = sum(len(scene.garments(i)) for i in range(frames)) / frames
    frame_s, crop_s = float(np.median(detect)), float(np.median(crop8))
    stage_s = scorer.seconds / frames
    print(format_table(["what", "ms", "median [p25-p75]"], [
        ["detector, one 432x768 frame (YOLOS-small sizes)", f"{frame_s * 1000:.0f}", spread([t * 1000 for t in detect])],
        ["CLIP, one garment crop in a batch of 8", f"{crop_s * 1000:.1f}", spread([t * 1000 for t in crop8])],
        ["CLIP, one garment crop alone", f"{np.median(crop1) * 1000:.1f}", spread([t * 1000 for t in crop1])],
    ]))
    print(format_table(["shop scene", "value"], [
        ["frames / people", f"{frames} / {len(scene.people)}"],
        ["garments in a frame (mean)", f"{garments_per_frame:.2f}"],
        [f"crops scored by the stage ({args.samples} per track)", f"{scorer.crops_scored} ({scorer.crops_scored / frames:.3f} a frame)"],
        ["stage cost per frame", f"{stage_s * 1000:.1f} ms = {100 * stage_s / frame_s:.1f} % of the detector's frame"],
        ["scoring every garment of every frame instead", f"{garments_per_frame * crop_s * 1000:.0f} ms = "
                                                          f"{100 * garments_per_frame * crop_s / frame_s:.0f} % of the detector's frame"],
    ]))


if __name__ == "__main__":
    main()
