"""What both servers answer with: images decoded under the limits, tagged in shared batches,
and tracking sessions for streams of frames."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import supervision as sv

from engines.attributes import AttributeScorer
from engines.detector import YolosDetector
from stream.frames import Frame, FrameResult
from stream.image_files import decode_image
from stream.inference import Detector
from stream.service.batcher import BatchingTagger
from stream.service.settings import ServiceConfig
from stream.stages.attributes import AttributeStage, AttributeStageSettings
from stream.tagging import ImageTagger, image_document
from stream.tracking.stage import TrackingStage


class TaggingService:
    """The detector, colours and attributes behind a server, with its limits.

    Args:
        config: the service settings.
        detector: a loaded detector (default: the config's, loaded here).
        scorer: a loaded attribute scorer (default: the config's, None when it has no attributes).
    """

    def __init__(self, config: ServiceConfig, detector: Detector | None = None, scorer: AttributeScorer | None = None) -> None:
        self.config = config
        self.detector = detector or YolosDetector.from_settings(config.detector)
        if scorer is None and config.attributes is not None:
            scorer = AttributeScorer(config.attributes)
        self.scorer = scorer
        min_score = config.attributes.min_score if config.attributes else 0.5
        self.tagger = ImageTagger(self.detector, scorer, min_score)
        self.batcher = BatchingTagger(self.tagger, config.server.batch_size, config.server.max_wait_ms)
        self.labels: list[str] = list(getattr(self.detector, "id2label", {}).values())
        self.model = config.detector.model
        self.served = 0
        self._lock = threading.Lock()

    def decode(self, data: bytes) -> np.ndarray:
        """The request's image, or `ImageReadError` (empty, corrupt, not an image) / `ImageTooLargeError`."""
        return decode_image(data, "the request's image", self.config.server.max_pixels)

    def tag(self, images: Sequence[np.ndarray], attributes: bool = True) -> list[sv.Detections]:
        """Tag images (all queued at once, so they share batches with each other and other requests)."""
        futures = [self.batcher.submit(image, attributes) for image in images]
        found = [future.result(self.config.server.request_timeout_s) for future in futures]
        with self._lock:
            self.served += len(found)
        return found

    def document(self, image: np.ndarray, detections: sv.Detections, name: str = "upload") -> dict[str, Any]:
        """The JSON of one image (as `detect` writes it)."""
        return image_document(name, image, detections, self.model, self.config.detector.threshold)

    def session(self) -> TrackSession:
        """A tracking session for one stream of frames."""
        return TrackSession(self)

    def close(self) -> None:
        """Finish queued requests and release the detector."""
        self.batcher.close()
        close = getattr(self.detector, "close", None)
        if close:
            close()


class TrackSession:
    """One stream of frames: its own tracker (and attribute votes), frames detected in the shared batches."""

    def __init__(self, service: TaggingService) -> None:
        self.service = service
        self.tracking = TrackingStage(service.config.tracking)
        attributes = service.config.attributes
        self.attributes = (AttributeStage(AttributeStageSettings(**attributes.model_dump()), scorer=service.scorer)
                           if attributes is not None and service.scorer is not None else None)
        self.index = 0
        self.start = time.monotonic()
        self.last_pts = -1.0

    def step(self, data: bytes, pts: float = 0.0) -> FrameResult:
        """Track one frame (its encoded bytes); `pts` 0 (or not increasing): the time since the session began."""
        image = self.service.decode(data)
        detections = self.service.tag([image], attributes=False)[0]
        if pts <= self.last_pts:
            pts = max(time.monotonic() - self.start, self.last_pts + 1e-3)
        self.last_pts = pts
        result = FrameResult(Frame("stream", self.index, pts, time.time(), image, live=True), detections)
        self.tracking.process([result])
        if self.attributes is not None:
            self.attributes.process([result])
        self.index += 1
        return result
