"""`YolosDetector`: the one facade the rest of the product uses to detect garments in frames."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import supervision as sv

from engines.backends.base import Backend, cuda_index
from engines.checkpoint import load_yolos_model, resolve_labels
from engines.errors import EngineError
from engines.onnx_model import OnnxModelInfo, read_model_info
from engines.postprocess import LabelTable, postprocess
from engines.preprocess import preprocess
from engines.settings import BACKENDS, DetectorSettings
from engines.taxonomy import Taxonomy, load_taxonomy

__all__ = ["BACKENDS", "DetectorSettings", "YolosDetector"]


log = logging.getLogger(__name__)


def _settings_for_export(settings: DetectorSettings, info: OnnxModelInfo) -> DetectorSettings:
    """An exported model fixes the input size: frames are letterboxed onto its canvas."""
    canvas = (int(info.input_hw[0]), int(info.input_hw[1]))
    if settings.canvas is not None and tuple(settings.canvas) != canvas:
        raise EngineError(f"{settings.model} was exported for {canvas[0]}x{canvas[1]} input; "
                          f"canvas {settings.canvas[0]}x{settings.canvas[1]} was asked (re-export or drop --canvas)")
    if settings.backend == "onnx" and settings.fp16 and info.precision != "fp16":
        raise EngineError(f"{settings.model} is a {info.precision} export; for FP16 with ONNX Runtime export with --fp16")
    return settings.model_copy(update={"canvas": canvas})


class YolosDetector:
    """Frames (BGR uint8) in, one `sv.Detections` per frame out, whatever the backend."""

    def __init__(self, backend: Backend, id2label: dict[int, str], settings: DetectorSettings, taxonomy: Taxonomy) -> None:
        self.backend = backend
        self.settings = settings
        self.taxonomy = taxonomy
        self.id2label = id2label
        self.labels = LabelTable.build(id2label, taxonomy)

    @classmethod
    def from_settings(cls, settings: DetectorSettings | None = None, **values: object) -> YolosDetector:
        """Load the checkpoint and build the chosen backend.

        Args:
            settings: the detector settings (default: `DetectorSettings()` with `values` applied).
            **values: settings given by name instead, e.g. `model="ckpt/", threshold=0.3`.

        Returns:
            A ready detector; `close()` it (or use it as a context manager) to free the engine.
        """
        if settings is None:
            settings = DetectorSettings.build(**values)
        elif values:
            settings = DetectorSettings.build(**{**settings.model_dump(), **values})
        taxonomy = load_taxonomy(settings.taxonomy)
        if settings.backend == "auto":
            from engines.auto_backend import choose_backend

            settings, reason = choose_backend(settings)
            log.log(logging.DEBUG if settings.backend == "torch" else logging.INFO, "backend auto: %s", reason)  # a checkpoint: no choice
        if settings.backend == "torch":
            from engines.backends.torch_backend import TorchBackend

            model = load_yolos_model(settings.model)
            id2label = resolve_labels(model.config.id2label, taxonomy)
            return cls(TorchBackend(model, device=settings.device, fp16=settings.fp16), id2label, settings, taxonomy)
        info = read_model_info(settings.model)
        settings = _settings_for_export(settings, info)
        return cls(make_backend(settings), info.id2label, settings, taxonomy)

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
        batch = preprocess(frames, self.settings)
        raw = self.backend.infer(batch.pixel_values)
        return postprocess(raw.logits, raw.boxes, batch.geometries, self.labels, self.settings)


def make_backend(settings: DetectorSettings) -> Backend:
    """The engine for an exported model (onnx, openvino or tensorrt), from settings whose canvas the file fixed.

    Args:
        settings: detector settings naming an exported .onnx and a backend other than torch.

    Returns:
        A ready backend.
    """
    if settings.backend == "onnx":
        from engines.backends.onnx_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend(settings.model, device=settings.device, threads=settings.threads)
    if settings.backend == "openvino":
        from engines.backends.openvino_backend import OpenVinoBackend

        if settings.device.startswith("cuda"):
            raise EngineError("the openvino backend runs on the CPU; use --backend tensorrt or onnx for CUDA")
        return OpenVinoBackend(settings.model, precision=settings.precision, threads=settings.threads, streams=settings.streams)
    from engines.backends.tensorrt_backend import TensorRTBackend
    from engines.tensorrt_engine import build_engine

    if settings.device == "cpu":
        raise EngineError("the tensorrt backend runs on a GPU; use --backend onnx or torch for --device cpu")
    index = cuda_index(settings.device)
    precision = "fp16" if settings.fp16 or read_model_info(settings.model).precision == "fp16" else "fp32"
    engine = build_engine(settings.model, precision=precision, max_batch=settings.max_batch, device_index=index)
    return TensorRTBackend(engine, device_index=index)
