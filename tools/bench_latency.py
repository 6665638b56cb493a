"""Per-image detector latency (pre-processing + model + post-processing), as a table.

    python -m tools.bench_latency                      # random YOLOS-small-sized model, default size
    python -m tools.bench_latency --model DIR --size 512 864 --size 816 864 --runs 5

Prints median and p95 over `--runs` timed calls after one warm-up, per input size, and the
share of the time spent outside the network.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.detector import DetectorSettings, YolosDetector
from engines.preprocess import preprocess
from stream.io import format_table

DEFAULT_IMAGE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "street_outfit.jpg"


def _frame(image: str | None) -> np.ndarray:
    from stream.image_files import read_image

    path = Path(image) if image else DEFAULT_IMAGE
    if path.exists():
        return read_image(path)
    return np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)


def measure(detector: YolosDetector, frame: np.ndarray, runs: int) -> dict[str, float]:
    """Median/p95 of end-to-end latency and median of pre-processing alone, in ms."""
    detector.detect([frame])
    total, pre = [], []
    for _ in range(runs):
        start = time.perf_counter()
        preprocess([frame], detector.settings)
        pre.append(time.perf_counter() - start)
        start = time.perf_counter()
        detector.detect([frame])
        total.append(time.perf_counter() - start)
    return {
        "median_ms": 1000 * float(np.median(total)),
        "p95_ms": 1000 * float(np.percentile(total, 95)),
        "pre_ms": 1000 * float(np.median(pre)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint dir or hub id (default: a random YOLOS-small-sized model)")
    parser.add_argument("--preset", default="small", help="random model preset when --model is not given")
    parser.add_argument("--image", help=f"image to time (default {DEFAULT_IMAGE.name} from ../shared, else random 1080p)")
    parser.add_argument("--size", type=int, nargs=2, action="append", metavar=("SHORTEST", "LONGEST"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    frame = _frame(args.image)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tools.make_checkpoint import make_checkpoint

            model = str(make_checkpoint(Path(tmp) / "random", preset=args.preset))
        rows = []
        for shortest, longest in args.size or [(816, 864)]:
            detector = YolosDetector.from_settings(DetectorSettings(model=model, device=args.device, size=(shortest, longest)))
            stats = measure(detector, frame, args.runs)
            input_hw = preprocess([frame], detector.settings).pixel_values.shape[2:]
            rows.append([f"{shortest}/{longest}", f"{input_hw[0]}x{input_hw[1]}", f"{stats['median_ms']:.0f}",
                         f"{stats['p95_ms']:.0f}", f"{stats['pre_ms']:.1f}"])
    print(f"frame {frame.shape[1]}x{frame.shape[0]}, model {args.model or 'random ' + args.preset}, device {args.device}, {args.runs} runs")
    print(format_table(["size", "input", "median ms", "p95 ms", "preprocess ms"], rows))


if __name__ == "__main__":
    main()
