"""Pipeline overhead and live-mode latency, as a table.

    python -m tools.bench_pipeline [--model DIR] [--frames 300] [--video ../shared/data/people_walking.mp4]

1. Throughput: the same frames through the bare detector and through the whole pipeline
   (reader -> queue -> detector -> JSON-lines sink), batch 1 and batch 4; ratio pipeline/bare.
2. Live: the video paced at its own frame rate with `drop_oldest`, the detector slowed to
   2x the frame interval; p95 frame-to-result latency and the drop count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.detector import DetectorSettings, YolosDetector
from engines.preprocess import SizeSettings
from stream.pipeline import Pipeline, PipelineSettings, SourceSpec
from stream.records import format_table
from stream.sinks import JsonLinesSink
from stream.sources.readers import VideoFileReader

DEFAULT_VIDEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "people_walking.mp4"


class LimitedReader(VideoFileReader):
    """A video file cut to its first `limit` frames."""

    def __init__(self, path, limit: int) -> None:
        super().__init__(path)
        self.limit, self.given = limit, 0

    def open(self) -> None:
        super().open()
        self.frame_count, self.given = min(self.limit, self.frame_count or self.limit), 0

    def read(self):
        if self.given >= self.limit:
            return None
        self.given += 1
        return super().read()


class SlowedDetector:
    """The real detector plus a fixed extra delay per call."""

    def __init__(self, detector, extra_s: float) -> None:
        self.detector, self.extra_s = detector, extra_s

    def detect(self, frames):
        time.sleep(self.extra_s)
        return self.detector.detect(frames)


def bare_fps(detector, video: Path, frames: int, batch: int) -> float:
    reader = LimitedReader(video, frames)
    reader.open()
    images = [item[0] for item in iter(reader.read, None)]
    reader.close()
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        detector.detect(images[i:i + batch])
    return len(images) / (time.perf_counter() - start)


def pipeline_run(detector, video: Path, frames: int, batch: int, out: Path, live: bool = False) -> dict:
    reader = LimitedReader(video, frames)
    spec = SourceSpec("bench", reader, "drop_oldest" if live else "block", realtime=live)
    settings = PipelineSettings(queue_size=4 if live else 32, batch_size=batch, max_wait_ms=5, show_progress=False,
                                stats_interval_s=3600)
    return Pipeline([spec], detector, [(JsonLinesSink(out / f"{batch}-{live}.jsonl"), not live)], settings).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint (default: random tiny YOLOS)")
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tools.make_checkpoint import make_checkpoint

            model = str(make_checkpoint(Path(tmp) / "tiny", preset="tiny"))
        detector = YolosDetector.from_settings(DetectorSettings(model=model, device="cpu", size=SizeSettings(canvas=(480, 864))))
        detector.detect([np.zeros((432, 768, 3), np.uint8)])  # warm-up
        rows = []
        for batch in (1, 4):
            bare = bare_fps(detector, args.video, args.frames, batch)
            summary = pipeline_run(detector, args.video, args.frames, batch, Path(tmp))
            piped = summary["stats"]["processed_fps"]
            rows.append([f"batch {batch}", f"{bare:.1f}", f"{piped:.1f}", f"{piped / bare:.3f}"])
        print(f"throughput, {args.frames} frames of {args.video.name}, model {args.model or 'random tiny'}")
        print(format_table(["run", "bare fps", "pipeline fps", "ratio"], rows))

        reader = LimitedReader(args.video, 1)
        reader.open()
        interval = 1 / (reader.fps or 10)
        reader.close()
        slow = SlowedDetector(detector, 2 * interval)
        summary = pipeline_run(slow, args.video, args.frames, 1, Path(tmp), live=True)
        source, latency = summary["sources"]["bench"], summary["stats"]["latency"]["end_to_end"]
        print(f"\nlive (paced at {1 / interval:.0f} fps, detector {2 * interval * 1000:.0f} ms + model, drop_oldest, queue 4)")
        print(format_table(["frames read", "processed", "dropped", "e2e p50 ms", "e2e p95 ms"],
                           [[source["frames_read"], summary["stats"]["frames_processed"], source["dropped"],
                             latency["p50_ms"], latency["p95_ms"]]]))


if __name__ == "__main__":
    main()
