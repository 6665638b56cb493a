"""The inference stage: batches of frames -> results, with `detect_every` carry-over."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import supervision as sv

from stream.frames import Frame, FrameResult
from stream.tracking.persons import person_detections


class Detector(Protocol):
    def detect(self, frames: Sequence[np.ndarray]) -> list[sv.Detections]: ...


class InferenceStage:
    """Runs the detector on every `detect_every`-th frame of each source; the frames in between
    reuse that source's last detections (`FrameResult.reused`), so every frame is emitted."""

    def __init__(self, detector: Detector, detect_every: int = 1, person_detector: Detector | None = None) -> None:
        if detect_every < 1:
            raise ValueError("detect_every must be at least 1")
        self.detector = detector
        self.person_detector = person_detector
        self.detect_every = detect_every
        self._last: dict[str, sv.Detections] = {}
        self._since_detect: dict[str, int] = {}

    def process(self, frames: list[Frame]) -> tuple[list[FrameResult], float]:
        """Results in input order (so per-source order holds) and the detector's wall time."""
        to_detect: list[int] = []
        for i, frame in enumerate(frames):
            since = self._since_detect.get(frame.source_id)
            if since is None or since + 1 >= self.detect_every:
                to_detect.append(i)
                self._since_detect[frame.source_id] = 0
            else:
                self._since_detect[frame.source_id] = since + 1
        start = time.perf_counter()
        images = [frames[i].image for i in to_detect]
        detected = dict(zip(to_detect, self.detector.detect(images))) if to_detect else {}
        persons = dict(zip(to_detect, self.person_detector.detect(images))) if to_detect and self.person_detector else {}
        elapsed = time.perf_counter() - start
        results = []
        for i, frame in enumerate(frames):
            if i in detected:
                self._last[frame.source_id] = detected[i]
                people = person_detections(persons[i]) if i in persons else None
                results.append(FrameResult(frame, detected[i], reused=False, persons=people))
            else:
                results.append(FrameResult(frame, self._last.get(frame.source_id, sv.Detections.empty()), reused=True))
        return results, elapsed
