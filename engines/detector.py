"""`YolosDetector`: the one facade the rest of the product uses to detect garments in frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import supervision as sv

from engines.backends.base import Backend, cuda_index
from engines.checkpoint import DEFAULT_MODEL, load_yolos_model, resolve_labels
from engines.errors import EngineError
from engines.onnx_model import OnnxModelInfo, read_model_info
from engines.postprocess import LabelTable, PostprocessSettings, postprocess
from engines.preprocess import SizeSettings, preprocess
from engines.taxonomy import Taxonomy, load_taxonomy

BACKENDS = ("torch", "onnx", "tensorrt")


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
    threads: int | None = None  # onnx: CPU threads (default: all cores)
    max_batch: int = 8  # tensorrt: largest batch the engine is built for

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


def _settings_for_export(settings: DetectorSettings, info: OnnxModelInfo) -> DetectorSettings:
    """An exported model fixes the input size: frames are letterboxed onto its canvas."""
    canvas = tuple(info.input_hw)
    if settings.size.canvas is not None and tuple(settings.size.canvas) != canvas:
        raise EngineError(f"{settings.model} was exported for {canvas[0]}x{canvas[1]} input; "
                          f"canvas {settings.size.canvas[0]}x{settings.size.canvas[1]} was asked (re-export or drop --canvas)")
    if settings.backend == "onnx" and settings.fp16 and info.precision != "fp16":
        raise EngineError(f"{settings.model} is a {info.precision} export; for FP16 with ONNX Runtime export with --fp16")
    return replace(settings, size=replace(settings.size, canvas=canvas))


class YolosDetector:
    """Frames (BGR uint8) in, one `sv.Detections` per frame out, whatever the backend."""

    def __init__(self, backend: Backend, id2label: dict[int, str], settings: DetectorSettings, taxonomy: Taxonomy) -> None:
        self.backend = backend
        self.settings = settings
        self.taxonomy = taxonomy
        self.id2label = id2label
        self.labels = LabelTable.build(id2label, taxonomy)

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> YolosDetector:
        """Load the checkpoint and build the chosen backend."""
        taxonomy = load_taxonomy(settings.taxonomy_path)
        if settings.backend == "torch":
            from engines.backends.torch_backend import TorchBackend

            model = load_yolos_model(settings.model)
            id2label = resolve_labels(model.config.id2label, taxonomy)
            return cls(TorchBackend(model, device=settings.device, fp16=settings.fp16), id2label, settings, taxonomy)
        info = read_model_info(settings.model)
        settings = _settings_for_export(settings, info)
        if settings.backend == "onnx":
            from engines.backends.onnx_backend import OnnxRuntimeBackend

            backend = OnnxRuntimeBackend(settings.model, device=settings.device, threads=settings.threads)
        else:
            from engines.backends.tensorrt_backend import TensorRTBackend
            from engines.tensorrt_engine import build_engine

            if settings.device == "cpu":
                raise EngineError("the tensorrt backend runs on a GPU; use --backend onnx or torch for --device cpu")
            index = cuda_index(settings.device)
            precision = "fp16" if settings.fp16 or info.precision == "fp16" else "fp32"
            engine = build_engine(settings.model, precision=precision, max_batch=settings.max_batch, device_index=index)
            backend = TensorRTBackend(engine, device_index=index)
        return cls(backend, info.id2label, settings, taxonomy)

    def close(self) -> None:
        """Release the backend's memory (GPU buffers, sessions); call once the detector is done."""
        self.backend.close()

    def __enter__(self) -> YolosDetector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def detect(self, frames: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detect garments in a batch of frames.

        Args:
            frames: BGR uint8 images (any sizes; see `SizeSettings` for how they are sized).

        Returns:
            One `sv.Detections` per frame, in frame pixels, sorted by score.
        """
        batch = preprocess(frames, self.settings.size)
        raw = self.backend.infer(batch.pixel_values)
        return postprocess(raw.logits, raw.boxes, batch.geometries, self.labels, self.settings.postprocess)
