"""Engines timed in one process, interleaved: round r runs every engine once on the same batch
(A B C A B C ...), so load from other processes hits them alike; ratios are taken per round
(paired) and reported as the median with the spread (25th-75th percentile). On a shared machine
whose speed varies 3x from minute to minute this is the comparison that holds.

    python -m tools.bench_interleaved [--preset small] [--input-size 512 864] [--batch 1] [--rounds 7]
        [--engines torch onnx onnx-int8 openvino openvino-bf16 openvino-int8] [--pipeline]

Prints the CPU model, its instruction-set flags and the thread settings with the table; `--pipeline`
adds the whole pipeline (reader -> queue -> engine -> sink) vs the bare engine, interleaved the same way.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from stream.io import format_table
from tools.bench import THRESHOLD, export_variants, load_frames, make_detector, unavailable


def cpu_description() -> str:
    """CPU model, the instruction-set flags engines care about, cores and thread settings."""
    import torch

    from engines.auto_backend import cpu_signature

    model, flags, cores = cpu_signature().split(" | ")
    return (f"CPU: {model}; {cores}; flags: {flags}; torch threads {torch.get_num_threads()}; "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")


def spread(values: list[float]) -> str:
    """median [p25-p75]"""
    p25, p50, p75 = np.percentile(values, [25, 50, 75])
    return f"{p50:.2f} [{p25:.2f}-{p75:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint dir (default: a random model of --preset)")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--input-size", type=int, nargs=2, default=(512, 864), metavar=("H", "W"))
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engines", nargs="+", default=["torch", "onnx", "onnx-int8", "openvino", "openvino-bf16", "openvino-int8"])
    parser.add_argument("--pipeline", nargs="*", default=[], metavar="ENGINE",
                        help="also time the whole pipeline vs the bare engine on the same frames, alternately, for these engines")
    parser.add_argument("--pipeline-frames", type=int, default=8)
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help="detection threshold of the agreement (F1 of same-label boxes)")
    args = parser.parse_args()
    canvas = tuple(args.input_size)
    print(cpu_description())
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            checkpoint = args.model
        else:
            from tools.make_checkpoint import make_checkpoint

            checkpoint = str(make_checkpoint(Path(tmp) / args.preset, preset=args.preset))
        engines = [e for e in args.engines if not unavailable(e)]
        skipped = {e: unavailable(e) for e in args.engines if unavailable(e)}
        files = export_variants(checkpoint, canvas, Path(tmp), engines)
        frames = load_frames(max(8, args.batch * 2))
        batch = frames[:args.batch]
        detectors = {e: make_detector(e, files, canvas, args.batch, args.threshold) for e in engines}
        for detector in detectors.values():  # warm-up: first-call allocation, OpenVINO compilation, autotune
            detector.detect(batch)
            detector.detect(batch)
        times: dict[str, list[float]] = {e: [] for e in engines}
        for _ in range(args.rounds):
            for engine, detector in detectors.items():
                start = time.perf_counter()
                detector.detect(batch)
                times[engine].append(time.perf_counter() - start)
        from tools.agreement import agreement

        reference = detectors["torch"].detect(frames[:8]) if "torch" in detectors else None
        boxes = sum(len(d) for d in reference) if reference is not None else 0
        rows = []
        for engine in engines:
            per_frame = [t / args.batch for t in times[engine]]
            ratios = [b / t for b, t in zip(times["torch"], times[engine])] if "torch" in times else []
            agree = agreement(reference, detectors[engine].detect(frames[:8])) if reference is not None else float("nan")
            rows.append([engine, args.batch, spread([1000 * t for t in per_frame]), spread(ratios) if ratios else "-", f"{agree:.3f}"])
        rows += [[engine, args.batch, "-", "-", f"skipped: {why}"] for engine, why in skipped.items()]
        pipeline_rows = []
        for engine in [e for e in args.pipeline if e in detectors]:
            from tools.bench_pipeline import frames_pipeline_ratio

            pairs = [frames_pipeline_ratio(detectors[engine], frames[:args.pipeline_frames], args.batch) for _ in range(args.rounds)]
            pipeline_rows.append([engine, args.pipeline_frames, spread([p["bare_fps"] for p in pairs]),
                                  spread([p["pipeline_fps"] for p in pairs]), spread([p["ratio"] for p in pairs])])
    print(f"{args.preset if not args.model else args.model}, input {canvas[0]}x{canvas[1]}, batch {args.batch}, "
          f"{args.rounds} interleaved rounds, agreement at threshold {args.threshold} over the {boxes} PyTorch boxes of 8 frames")
    print(format_table(["engine", "batch", "ms/frame median [p25-p75]", "x torch FP32 (paired)", "agreement"], rows))
    if pipeline_rows:
        print(f"\nwhole pipeline (reader -> queue -> engine -> JSON-lines sink) vs bare detect, alternately, {args.rounds} rounds:")
        print(format_table(["engine", "frames", "bare frames/s", "pipeline frames/s", "pipeline / bare (paired)"], pipeline_rows))


if __name__ == "__main__":
    main()
