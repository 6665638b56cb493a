"""Engines side by side: backend x batch x input size, as a table and as JSON.

    python -m tools.bench                                    # random YOLOS-tiny- and -small-sized models
    python -m tools.bench --model DIR --input-size 512 864 --batch 1 4 --runs 5 --json out/bench.json

Every engine runs in its own process (so peak memory is its own) on the same video frames, and
is timed end to end (pre-processing + network + post-processing), after a warm-up. Columns:
frames/s, latency p50/p95 per batch, peak RSS (and peak CUDA memory on GPUs), speed-up over
PyTorch eager FP32 measured in the same run, detection agreement with PyTorch FP32 (F1 of
same-label boxes at IoU 0.5, threshold 0.1), and the whole pipeline (reader -> queue -> engine
-> JSON-lines sink) vs the bare engine on the same frames.
Engines a machine cannot run (CUDA, TensorRT) are listed with the reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

import numpy as np

from stream.io import format_table
from tools.bench_pipeline import DEFAULT_VIDEO, frames_pipeline_ratio, peak_rss_mb

ENGINES = ("torch", "onnx", "onnx-opt", "onnx-int8", "openvino", "openvino-bf16", "openvino-int8",
           "torch-cuda", "torch-cuda-fp16", "onnx-cuda", "tensorrt-fp16")
THRESHOLD = 0.1


def unavailable(engine: str) -> str | None:
    """Why `engine` cannot run on this machine, or None."""
    if "cuda" in engine or engine.startswith("tensorrt"):
        import torch

        if not torch.cuda.is_available():
            return "no CUDA GPU"
    if engine == "onnx-cuda":
        import onnxruntime

        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            return "onnxruntime without CUDA provider"
    if engine.startswith("openvino"):
        if importlib.util.find_spec("openvino") is None:
            return "openvino not installed"
        if engine == "openvino-bf16":
            from engines.backends.openvino_backend import cpu_has_bf16

            if not cpu_has_bf16():
                return "CPU without BF16"
    if engine.startswith("tensorrt"):
        for module in ("tensorrt", "pycuda"):
            if importlib.util.find_spec(module) is None:
                return f"{module} not installed"
    return None


def load_frames(count: int) -> list[np.ndarray]:
    """The first `count` frames of the shared street video, else random 1080p frames."""
    import cv2

    frames = []
    if DEFAULT_VIDEO.exists():
        capture = cv2.VideoCapture(str(DEFAULT_VIDEO))
        while len(frames) < count:
            ok, image = capture.read()
            if not ok:
                break
            frames.append(image)
        capture.release()
    rng = np.random.default_rng(0)
    while len(frames) < count:
        frames.append(rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8))
    return frames


def make_detector(engine: str, files: dict[str, str], canvas: tuple[int, int], max_batch: int, threshold: float = THRESHOLD):
    from engines.detector import DetectorSettings, YolosDetector

    common = dict(threshold=threshold, max_batch=max_batch)
    if engine.startswith("torch"):
        device = "cuda" if "cuda" in engine else "cpu"
        return YolosDetector.from_settings(DetectorSettings(model=files["checkpoint"], device=device, fp16=engine.endswith("fp16"),
                                                            canvas=canvas, **common))
    if engine.startswith("tensorrt"):
        return YolosDetector.from_settings(DetectorSettings(model=files["fp32"], backend="tensorrt", device="cuda", fp16=True, **common))
    if engine.startswith("openvino"):
        # openvino: FP32; openvino-bf16: BF16; openvino-int8: INT8 with the rest at the default precision (BF16 where the CPU has it)
        precision = {"openvino": "fp32", "openvino-bf16": "bf16"}.get(engine, "auto")
        return YolosDetector.from_settings(DetectorSettings(model=files["int8-static" if engine.endswith("int8") else "fp32"],
                                                            backend="openvino", device="cpu", precision=precision, **common))
    variant = {"onnx": "fp32", "onnx-cuda": "fp32", "onnx-opt": "opt", "onnx-int8": "int8"}[engine]
    return YolosDetector.from_settings(DetectorSettings(model=files[variant], backend="onnx",
                                                        device="cuda" if "cuda" in engine else "cpu", **common))


def time_batches(detector, frames: list[np.ndarray], batch: int, runs: int) -> dict:
    """Frames/s and per-call latency of `runs` calls on batches of `batch` frames."""
    batches = [frames[(i * batch) % len(frames):][:batch] or frames[:batch] for i in range(runs + 1)]
    detector.detect(batches[0])  # warm-up (and engine build/autotune)
    times = []
    for chunk in batches[1:]:
        start = time.perf_counter()
        detector.detect(chunk)
        times.append(time.perf_counter() - start)
    return {"batch": batch, "fps": batch * len(times) / sum(times),
            "p50_ms": 1000 * float(np.median(times)), "p95_ms": 1000 * float(np.percentile(times, 95))}


def run_engine(engine: str, files: dict[str, str], canvas, batches, runs, pipeline_frames, out_queue) -> None:
    """Child process: build one engine, time it, and report (with detections for the agreement)."""
    try:
        import torch

        frames = load_frames(max(max(batches) * 2, pipeline_frames, 8))
        detector = make_detector(engine, files, canvas, max(batches))
        rows = [time_batches(detector, frames, batch, runs) for batch in batches]
        detections = [d for i in range(0, 8, 4) for d in detector.detect(frames[i:i + 4])]
        result = {"engine": engine, "rows": rows, "detections": detections, "peak_rss_mb": peak_rss_mb()}
        if pipeline_frames:
            result["pipeline"] = frames_pipeline_ratio(detector, frames[:pipeline_frames], max(batches))
        if torch.cuda.is_available():
            result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
        out_queue.put(result)
    except Exception as exc:
        out_queue.put({"engine": engine, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"})


def export_variants(checkpoint: str, canvas: tuple[int, int], folder: Path, engines: list[str]) -> dict[str, str]:
    from engines.export_onnx import export_onnx

    files = {
        "checkpoint": checkpoint,
        "fp32": str(export_onnx(checkpoint, folder / "model.onnx", canvas)),
        "opt": str(export_onnx(checkpoint, folder / "model-opt.onnx", canvas, optimize=True)),
        "int8": str(export_onnx(checkpoint, folder / "model-int8.onnx", canvas, optimize=True, int8=True)),
    }
    if "openvino-int8" in engines and not unavailable("openvino-int8") and DEFAULT_VIDEO.exists():
        from engines.quantize_int8 import quantize_int8

        files["int8-static"] = str(quantize_int8(files["fp32"], folder / "model-int8-static.onnx", DEFAULT_VIDEO, frames=100))
    return files


def bench_model(label: str, checkpoint: str, canvas, engines, batches, runs, pipeline_frames, folder: Path) -> list[dict]:
    """Every engine on one model and input size; rows with speed-ups and agreement filled in."""
    from tools.agreement import agreement

    files = export_variants(checkpoint, canvas, folder, engines)
    context = multiprocessing.get_context("spawn")
    results = []
    for engine in engines:
        reason = unavailable(engine)
        if reason:
            results.append({"engine": engine, "error": f"skipped: {reason}"})
            continue
        out_queue = context.Queue()
        child = context.Process(target=run_engine, args=(engine, files, canvas, batches, runs, pipeline_frames, out_queue))
        child.start()
        results.append(out_queue.get())
        child.join()
    reference = next((r for r in results if r["engine"] == "torch" and "rows" in r), None)
    for result in results:
        result.update(model=label, input=f"{canvas[0]}x{canvas[1]}")
        if reference and "rows" in result:
            result["agreement"] = agreement(reference["detections"], result["detections"])
            for row, base in zip(result["rows"], reference["rows"]):
                row["speedup"] = row["fps"] / base["fps"]
    for result in results:
        result.pop("detections", None)
    return results


def print_table(results: list[dict]) -> None:
    rows = []
    for r in results:
        if "rows" not in r:
            rows.append([r["model"], r["input"], r["engine"], "-", "-", "-", "-", "-", "-", "-", "-", r["error"]])
            continue
        pipe = r.get("pipeline")
        for row in r["rows"]:
            rows.append([r["model"], r["input"], r["engine"], row["batch"], f"{row['fps']:.2f}", f"{row['p50_ms']:.0f}",
                         f"{row['p95_ms']:.0f}", f"{r['peak_rss_mb']:.0f}" + (f" / {r['peak_cuda_mb']:.0f}" if "peak_cuda_mb" in r else ""),
                         f"{row.get('speedup', float('nan')):.2f}x", f"{r.get('agreement', float('nan')):.3f}",
                         f"{pipe['ratio']:.3f}" if pipe else "-", ""])
    print(format_table(["model", "input", "engine", "batch", "frames/s", "p50 ms", "p95 ms", "peak MB (RSS / CUDA)",
                        "vs torch", "agreement", "pipeline/bare", "note"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint dir or hub id (default: random models of each --preset)")
    parser.add_argument("--preset", nargs="+", default=["yolos-tiny", "small"])
    parser.add_argument("--input-size", type=int, nargs=2, action="append", metavar=("H", "W"))
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--pipeline-frames", type=int, default=16, help="frames for pipeline vs bare (0: skip)")
    parser.add_argument("--json", type=Path, default=Path("out/bench.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        models = [(args.model, args.model)] if args.model else []
        if not args.model:
            from tools.make_checkpoint import make_checkpoint

            models = [(f"random {p}", str(make_checkpoint(Path(tmp) / p, preset=p))) for p in args.preset]
        for label, checkpoint in models:
            for canvas in args.input_size or [(512, 864)]:
                folder = Path(tmp) / f"{label.replace(' ', '-')}-{canvas[0]}x{canvas[1]}"
                results += bench_model(label, checkpoint, tuple(canvas), args.engines, args.batch, args.runs,
                                       args.pipeline_frames, folder)
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
