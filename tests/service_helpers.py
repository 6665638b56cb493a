"""Services on 127.0.0.1 for the tests: a tagging service over tiny random models (a YOLOS that
finds shirts and pants, a CLIP made locally), its gRPC and HTTP servers, and a detector that can be
slowed down and counts its batches."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from engines.attributes import AttributeScorer, AttributeSettings
from engines.detector import YolosDetector
from stream.service.core import TaggingService
from stream.service.settings import ServiceConfig


class SlowDetector:
    """A real detector that sleeps `delay_s` per call and remembers each batch's size."""

    def __init__(self, inner: YolosDetector, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.batches: list[int] = []
        self.id2label = inner.id2label

    def detect(self, frames):
        self.batches.append(len(frames))
        time.sleep(self.delay_s)
        return self.inner.detect(frames)


def make_service(checkpoint: Path, clip: Path | None, delay_s: float = 0.0, **server) -> tuple[TaggingService, SlowDetector]:
    """A tagging service on the tiny models; `server` overrides the server settings."""
    config = ServiceConfig.model_validate({"detector": {"model": str(checkpoint)},
                                           "attributes": {"model": str(clip)} if clip else None, "server": server})
    detector = SlowDetector(YolosDetector.from_settings(config.detector), delay_s)
    scorer = AttributeScorer(AttributeSettings(model=str(clip))) if clip else None
    return TaggingService(config, detector=detector, scorer=scorer), detector


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def grpc_server(service: TaggingService) -> Iterator[int]:
    """The gRPC server on a free port of 127.0.0.1 (drained on exit)."""
    from stream.service.grpc_server import build_server, drain

    server, port, health = build_server(service, "127.0.0.1", 0)
    try:
        yield port
    finally:
        drain(server, health, 1.0)


@contextlib.contextmanager
def http_server(service: TaggingService) -> Iterator[str]:
    """The HTTP server (as `serve http` runs it) on a free port; yields its base URL."""
    import urllib.request

    from stream.serve_job import _serve_http

    port, stop = free_port(), threading.Event()
    thread = threading.Thread(target=_serve_http, args=(service, "127.0.0.1", port, 1.0, stop), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            break
        time.sleep(0.1)
    try:
        yield url
    finally:
        stop.set()
        thread.join(10)


def jpeg(height: int = 240, width: int = 320, seed: int = 0) -> bytes:
    """A JPEG of coloured rectangles."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 200, dtype=np.uint8)
    for _ in range(6):
        x, y = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        cv2.rectangle(image, (x, y), (x + int(rng.integers(10, 120)), y + int(rng.integers(10, 160))), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()
