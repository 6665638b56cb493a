"""Pipeline overhead and live-mode latency, as a table.

    python -m tools.bench_pipeline [--model DIR] [--frames 300] [--video ../shared/data/people_walking.mp4]

1. Throughput: the same frames through the bare detector and through the whole pipeline
   (reader -> queue -> detector -> JSON-lines sink), batch 1 and batch 4; ratio pipeline/bare.
2. Live: the video paced at its own frame rate with `drop_oldest`, the detector slowed to
   2x the frame interval; p95 frame-to-result latency and the drop count.
3. Memory (`--memory-frames N`, e.g. 10000): the video looped to N frames through the pipeline
   with the video and JSON-lines sinks; resident memory sampled every 10 % of the run; growth of
   the highest RSS seen over the RSS at the first sample (the process peak includes phases 1-2).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.detector import DetectorSettings, YolosDetector
from stream.config import RunConfig
from stream.io import format_table
from stream.pipeline import Pipeline, SourceSpec
from stream.sinks import AnnotatedVideoSink, JsonLinesSink, Sink
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


class LoopedReader(VideoFileReader):
    """A video file played over and over until `limit` frames, times running on."""

    def __init__(self, path, limit: int) -> None:
        super().__init__(path)
        self.limit, self.given, self.offset, self.last = limit, 0, 0.0, 0.0

    def open(self) -> None:
        super().open()
        self.frame_count = self.limit

    def read(self):
        if self.given >= self.limit:
            return None
        item = super().read()
        if item is None:  # end of the file: start it again
            self.offset, _ = self.last + 1 / (self.fps or 25), super().close()
            super().open()
            self.frame_count = self.limit
            item = super().read()
        self.given += 1
        self.last = self.offset + (item[1] or 0.0)
        return item[0], self.last


class MemoryProbe(Sink):
    """A sink that only samples this process's resident memory every `every` frames."""

    name = "memory"

    def __init__(self, every: int) -> None:
        self.every, self.seen, self.samples = every, 0, []

    def write(self, result) -> None:
        self.seen += 1
        if self.seen % self.every == 0:
            self.samples.append((self.seen, current_rss_mb(), peak_rss_mb()))

    def close(self) -> None:
        self.samples.append((self.seen, current_rss_mb(), peak_rss_mb()))


def _proc_status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status (Linux) in MB, None where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def current_rss_mb() -> float:
    rss = _proc_status_mb("VmRSS")
    return float("nan") if rss is None else rss


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec, unlike ru_maxrss,
    which a spawned child inherits from its parent (so every engine read as the parent's peak)."""
    peak = _proc_status_mb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if peak is None else peak


def bench_config(queue: int, batch: int) -> RunConfig:
    """The pipeline settings of the benchmark runs: detections only (no stages, no tracking)."""
    return RunConfig.model_validate({"queue": {"maxsize": queue}, "detector": {"batch_size": batch, "max_wait_ms": 5},
                                     "progress": False, "stats_interval_s": 3600, "stages": [], "tracking": {"enabled": False}})


def memory_run(detector, video: Path, frames: int, fps: float, out: Path) -> list[list]:
    """Rows of (frames, RSS, highest RSS so far, its growth over the RSS at 10 % of the run, process peak)."""
    probe = MemoryProbe(max(1, frames // 10))
    sinks = [(AnnotatedVideoSink(out / "memory", default_fps=fps), True), (JsonLinesSink(out / "memory.jsonl"), True), (probe, True)]
    spec = SourceSpec("bench", LoopedReader(video, frames), "block")
    Pipeline([spec], detector, sinks, bench_config(queue=32, batch=4)).run()
    base, highest, rows = probe.samples[0][1], 0.0, []
    for n, rss, peak in probe.samples:
        highest = max(highest, rss)
        rows.append([n, f"{rss:.0f}", f"{highest:.0f}", f"{100 * (highest - base) / base:+.1f} %", f"{peak:.0f}"])
    return rows


class FramesReader:
    """Frames already in memory, served as a file source (so decoding is not timed)."""

    live = False
    skipped = 0
    truncated = False  # the reader contract (stream.sources.readers.FrameReader)

    def __init__(self, frames: list[np.ndarray], fps: float = 25.0) -> None:
        self.frames, self.fps, self.frame_count, self.position = frames, fps, len(frames), 0

    def open(self) -> None:
        self.position = 0

    def read(self):
        if self.position >= len(self.frames):
            return None
        self.position += 1
        return self.frames[self.position - 1], (self.position - 1) / self.fps

    def close(self) -> None:
        self.position = len(self.frames)


def frames_pipeline_ratio(detector, frames: list[np.ndarray], batch: int) -> dict:
    """Frames/s of the whole pipeline (queue, batching, JSON-lines sink) vs bare `detect` calls."""
    bare = detect_fps(detector, frames, batch)
    with tempfile.TemporaryDirectory() as tmp:
        spec = SourceSpec("bench", FramesReader(frames), "block")
        start = time.perf_counter()  # start-up and draining of the pipeline count too
        summary = Pipeline([spec], detector, [(JsonLinesSink(Path(tmp) / "bench.jsonl"), True)], bench_config(queue=32, batch=batch)).run()
        piped = summary["stats"]["frames_processed"] / (time.perf_counter() - start)
    return {"bare_fps": bare, "pipeline_fps": piped, "ratio": piped / bare}


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
    return detect_fps(detector, images, batch)


def detect_fps(detector, images: list[np.ndarray], batch: int) -> float:
    """Frames/s of bare `detect` calls on `images`, `batch` at a time."""
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        detector.detect(images[i:i + batch])
    return len(images) / (time.perf_counter() - start)


def pipeline_run(detector, video: Path, frames: int, batch: int, out: Path, live: bool = False) -> dict:
    reader = LimitedReader(video, frames)
    spec = SourceSpec("bench", reader, "drop_oldest" if live else "block", realtime=live)
    config = bench_config(queue=4 if live else 32, batch=batch)
    return Pipeline([spec], detector, [(JsonLinesSink(out / f"{batch}-{live}.jsonl"), not live)], config).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint (default: random tiny YOLOS)")
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--memory-frames", type=int, default=0, help="also run N looped frames and report memory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tools.make_checkpoint import make_checkpoint

            model = str(make_checkpoint(Path(tmp) / "tiny", preset="tiny"))
        detector = YolosDetector.from_settings(DetectorSettings(model=model, device="cpu", canvas=(480, 864)))
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

        if args.memory_frames:
            rows = memory_run(detector, args.video, args.memory_frames, 1 / interval, Path(tmp))
            print(f"\nmemory, {args.memory_frames} frames (video looped), batch 4, video + jsonl sinks")
            print(format_table(["frames", "RSS MB", "highest RSS MB", "growth since 10 %", "process peak MB"], rows))


if __name__ == "__main__":
    main()
