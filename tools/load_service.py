"""Load test of the gRPC service on loopback: N requests from C concurrent clients (each with its
own channel), then the same requests one at a time, on one server. Prints throughput, latency
percentiles, lost requests and the detector's batch sizes, with the CPU line.

    python -m tools.load_service [--requests 500] [--clients 16] [--model DIR] [--attributes-model DIR]
        [--size 480 640] [--batch-size 8]

Without --model a tiny random YOLOS (and a tiny random CLIP) is made, as in the tests: the figures
then measure the service (transport, decoding, batching, colours), not a real model's speed.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import grpc
import numpy as np

from engines.attributes import AttributeScorer, AttributeSettings
from engines.detector import YolosDetector
from stream.io import format_table
from stream.service.core import TaggingService
from stream.service.grpc_server import build_server, drain
from stream.service.protos import tag_my_outfit_pb2 as tmo
from stream.service.protos import tag_my_outfit_pb2_grpc as tmo_grpc
from stream.service.settings import ServiceConfig
from tools.bench_interleaved import cpu_description


def photo(height: int, width: int, seed: int) -> bytes:
    """A JPEG with shapes (each request its own picture of the same size)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 60, (height, width, 3), dtype=np.uint8) + 120
    for _ in range(8):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        cv2.rectangle(image, (x, y), (x + int(rng.integers(20, width // 3)), y + int(rng.integers(20, height // 2))),
                      tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()


def run_load(port: int, payloads: list[bytes], clients: int) -> dict:
    """Send every payload once, from `clients` threads; latencies, failures and wall time."""
    latencies: list[float] = []
    failures: list[str] = []
    next_index = iter(range(len(payloads)))
    lock = threading.Lock()

    def client() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = tmo_grpc.TagMyOutfitServiceStub(channel)
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                start = time.perf_counter()
                try:
                    stub.predict(tmo.PredictRequest(image_data=payloads[index]), timeout=300)
                    with lock:
                        latencies.append(time.perf_counter() - start)
                except grpc.RpcError as exc:
                    with lock:
                        failures.append(exc.code().name)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"wall": time.perf_counter() - start, "latencies": latencies, "failures": failures}


def row(name: str, clients: int, outcome: dict, sent: int) -> list:
    lat = np.array(outcome["latencies"]) * 1000
    p50, p95 = (np.percentile(lat, [50, 95]) if len(lat) else (float("nan"), float("nan")))
    return [name, clients, sent, len(outcome["latencies"]), sent - len(outcome["latencies"]),
            f"{len(outcome['latencies']) / outcome['wall']:.1f}", f"{p50:.0f}", f"{p95:.0f}"]


def measure(service_factory: Callable[[], TaggingService], requests: int, clients: int, size: tuple[int, int],
            rounds: int = 1) -> tuple[list, dict, list[float]]:
    """Rounds of (concurrent, then one at a time) on the same server and pictures.

    Returns:
        The table rows (round by round), the detector's batch sizes under concurrency, and each
        round's throughput ratio (concurrent / one at a time).
    """
    service = service_factory()
    server, port, health = build_server(service, "127.0.0.1", 0)
    payloads = [photo(*size, seed=i) for i in range(requests)]
    alone = max(clients * 4, requests // 4)
    rows, ratios, batches = [], [], {}
    try:
        run_load(port, payloads[:clients], clients)  # warm-up
        for index in range(rounds):
            service.batcher.batch_sizes.clear()
            concurrent = run_load(port, payloads, clients)
            batches = dict(sorted(service.batcher.batch_sizes.items()))
            sequential = run_load(port, payloads[:alone], 1)
            name = f" (round {index + 1})" if rounds > 1 else ""
            rows += [row("concurrent" + name, clients, concurrent, requests), row("one at a time" + name, 1, sequential, alone)]
            ratios.append((len(concurrent["latencies"]) / concurrent["wall"]) / (len(sequential["latencies"]) / sequential["wall"]))
    finally:
        drain(server, health, 5)
        service.close()
    return rows, batches, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--model", help="YOLOS checkpoint (default: a tiny random one)")
    parser.add_argument("--attributes-model", help="CLIP model (default: a tiny random one; 'none' for no attributes)")
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"), help="picture size")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (concurrent, one at a time), for the spread of the ratio")
    args = parser.parse_args()
    print(cpu_description())
    with tempfile.TemporaryDirectory() as tmp:
        from tools.make_checkpoint import make_checkpoint, make_clip

        model = args.model or str(make_checkpoint(Path(tmp) / "yolos", favour={"shirt, blouse": 6.0, "pants": 6.0}))
        clip = None if args.attributes_model == "none" else args.attributes_model or str(make_clip(Path(tmp) / "clip"))
        config = ServiceConfig.model_validate({"detector": {"model": model}, "attributes": {"model": clip} if clip else None,
                                               "server": {"workers": args.clients, "batch_size": args.batch_size}})
        detector = YolosDetector.from_settings(config.detector)
        scorer = AttributeScorer(AttributeSettings(model=clip)) if clip else None
        rows, batches, ratios = measure(lambda: TaggingService(config, detector=detector, scorer=scorer), args.requests, args.clients,
                                        tuple(args.size), args.rounds)
    print(format_table(["run", "clients", "sent", "answered", "lost", "req/s", "p50 ms", "p95 ms"], rows))
    print(f"throughput concurrent / one at a time, per round: {' '.join(f'{r:.2f}' for r in ratios)} "
          f"(median {np.median(ratios):.2f}x); detector batch sizes under concurrency (size: calls): {batches}")


if __name__ == "__main__":
    main()
