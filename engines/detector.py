"""`YolosDetector`: the one facade the rest of the product uses to detect garments in frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import supervision as sv

from engines.backends.base import Backend
from engines.checkpoint import DEFAULT_MODEL, load_yolos_model, resolve_labels
from engines.errors import EngineError
from engines.postprocess import LabelTable, PostprocessSettings, postprocess
from engines.preprocess import SizeSettings, preprocess
from engines.taxonomy import Taxonomy, load_taxonomy

BACKENDS = ("torch",)


@dataclass(frozen=True)
class DetectorSettings:
    """Everything that decides which detections come out for a frame."""

    model: str = DEFAULT_MODEL
    backend: str = "torch"
    device: str = "auto"
    fp16: bool = False
    size: SizeSettings = field(default_factory=SizeSettings)
    postprocess: PostprocessSettings = field(default_factory=PostprocessSettings)
    taxonomy_path: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise EngineError(f"unknown backend {self.backend!r}: choose one of {', '.join(BACKENDS)}")
        threshold = self.postprocess.threshold
        if not 0.0 <= threshold < 1.0:
            raise EngineError(f"threshold {threshold} is out of range: use 0 <= threshold < 1")
        if self.postprocess.nms_iou is not None and not 0.0 < self.postprocess.nms_iou <= 1.0:
            raise EngineError(f"nms_iou {self.postprocess.nms_iou} is out of range: use 0 < nms_iou <= 1")
        if self.postprocess.top_k is not None and self.postprocess.top_k < 1:
            raise EngineError(f"top_k {self.postprocess.top_k} must be at least 1")


class YolosDetector:
    """Frames (BGR uint8) in, one `sv.Detections` per frame out, whatever the backend."""

    def __init__(self, backend: Backend, id2label: dict[int, str], settings: DetectorSettings, taxonomy: Taxonomy) -> None:
        self.backend = backend
        self.settings = settings
        self.taxonomy = taxonomy
        self.id2label = id2label
        self.labels = LabelTable.build(id2label, taxonomy)

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> "YolosDetector":
        """Load the checkpoint and build the chosen backend."""
        taxonomy = load_taxonomy(settings.taxonomy_path)
        model = load_yolos_model(settings.model)
        id2label = resolve_labels(model.config.id2label, taxonomy)
        from engines.backends.torch_backend import TorchBackend

        backend = TorchBackend(model, device=settings.device, fp16=settings.fp16)
        return cls(backend, id2label, settings, taxonomy)

    def detect(self, frames: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detect garments in a batch of frames."""
        batch = preprocess(frames, self.settings.size)
        raw = self.backend.infer(batch.pixel_values)
        return postprocess(raw.logits, raw.boxes, batch.geometries, self.labels, self.settings.postprocess)
