"""Small real-behaviour doubles for pipeline tests: scripted readers and a slow detector."""

from __future__ import annotations

import threading
import time

import numpy as np
import supervision as sv

from stream.sinks.base import Sink
from stream.sources.readers import ReaderError


class ScriptedReader:
    """A live or file-like reader driven by a script of events.

    Each open() consumes one entry of `opens`: True opens, False fails. Each read() returns a
    frame until `frames_per_session` frames were given in this session, then None (a loss).
    """

    def __init__(self, opens: list[bool], frames_per_session: int, live: bool = True, pts: list[float] | None = None):
        self.opens = list(opens)
        self.frames_per_session = frames_per_session
        self.live = live
        self.fps = 10.0
        self.frame_count = None if live else frames_per_session
        self.skipped = 0
        self.truncated = False
        self.pts = pts
        self.session_frames = 0
        self.total = 0
        self.open_calls = 0

    def open(self) -> None:
        self.open_calls += 1
        if not self.opens or not self.opens.pop(0):
            raise ReaderError("connection refused")
        self.session_frames = 0

    def read(self):
        if self.session_frames >= self.frames_per_session:
            return None
        self.session_frames += 1
        self.total += 1
        pts = self.pts[self.total - 1] if self.pts else None
        return np.full((48, 64, 3), self.total % 255, np.uint8), pts

    def close(self) -> None:
        pass


class CountingDetector:
    """Detects one 'shoe' per frame; counts calls and can be slow or fail on demand."""

    def __init__(self, delay_s: float = 0.0, fail_after: int | None = None):
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.frames_seen = 0
        self.calls = 0

    def detect(self, frames):
        self.calls += 1
        if self.fail_after is not None and self.frames_seen >= self.fail_after:
            raise RuntimeError("detector crashed")
        time.sleep(self.delay_s)
        out = []
        for frame in frames:
            self.frames_seen += 1
            det = sv.Detections(xyxy=np.array([[1, 2, 30, 40]], float), confidence=np.array([0.9]), class_id=np.array([23]))
            det.data.update(class_name=np.array(["shoe"]), group=np.array(["footwear"]), supercategory=np.array(["legs and feet"]))
            det.data["mean"] = np.array([float(frame.mean())])
            out.append(det)
        return out


class CollectingSink(Sink):
    """A sink that keeps every frame it is given."""

    name = "collect"

    def __init__(self):
        self.frames = []

    def write(self, result):
        self.frames.append(result.frame)

    def close(self):
        pass


def pipeline_config(queue: int = 32, batch: int = 1, max_wait_ms: float = 20, detect_every: int = 1, tracking: bool = False,
                    stages: list | None = None, **extra):
    """A run config for pipelines built from parts: no progress bar, and (unless asked) no stages or tracking."""
    from stream.config import RunConfig

    return RunConfig.model_validate({"queue": {"maxsize": queue}, "progress": False, "stages": stages or [],
                                     "detector": {"batch_size": batch, "max_wait_ms": max_wait_ms, "detect_every": detect_every},
                                     "tracking": {"enabled": tracking}, **extra})


def wait_for(condition, timeout: float) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()


class LiveRun:
    """One live source through a pipeline on a background thread (drop_oldest, quick reconnects that
    never give up), its frames collected; `finish()` stops it and returns the run summary."""

    def __init__(self, reader, source_id: str) -> None:
        from stream.pipeline import Pipeline, SourceSpec
        from stream.sources import ReconnectSettings

        self.sink = CollectingSink()
        spec = SourceSpec(source_id, reader, "drop_oldest", ReconnectSettings(initial_s=0.2, max_s=1.0, max_attempts=None))
        self.pipeline = Pipeline([spec], CountingDetector(), [(self.sink, False)], pipeline_config(queue=4))
        self._result: dict = {}
        self._thread = threading.Thread(target=lambda: self._result.update(summary=self.pipeline.run()))
        self._thread.start()

    @property
    def frames(self) -> list:
        return self.sink.frames

    @property
    def state(self) -> str:
        return self.pipeline.runners[0].state.value

    def finish(self) -> dict | None:
        self.pipeline.stop()
        self._thread.join(30)
        return self._result.get("summary")


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    """`fashion-stream ARGS` in this process: the exit code and what it printed on stderr."""
    from stream.cli import main

    try:
        rc = main(args)
    except SystemExit as exit_:
        rc = exit_.code
    return rc, capsys.readouterr().err

