"""PyTorch backend: transformers' `YolosForObjectDetection`, eager, on CPU or CUDA (FP16 optional)."""

from __future__ import annotations

import numpy as np
import torch

from engines.backends.base import RawOutputs
from engines.errors import EngineError


def resolve_device(device: str) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without it is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EngineError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise EngineError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N")
    return torch.device(device)


class TorchBackend:
    """Eager PyTorch inference of a loaded YOLOS model."""

    name = "torch"

    def __init__(self, model: torch.nn.Module, device: str = "auto", fp16: bool = False) -> None:
        self.device = resolve_device(device)
        if fp16 and self.device.type != "cuda":
            raise EngineError("fp16 needs a CUDA device (PyTorch on CPU runs FP32)")
        self.dtype = torch.float16 if fp16 else torch.float32
        self.model: torch.nn.Module | None = model.to(self.device, self.dtype).eval()

    def close(self) -> None:
        """Drop the model (and its GPU memory)."""
        if self.model is not None:
            self.model = None
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    @torch.inference_mode()
    def infer(self, pixel_values: np.ndarray) -> RawOutputs:
        """Run one batch and return float32 numpy outputs."""
        if self.model is None:
            raise EngineError("the torch backend was closed")
        inputs = torch.from_numpy(pixel_values).to(self.device, self.dtype, non_blocking=True)
        outputs = self.model(pixel_values=inputs)
        return RawOutputs(
            logits=outputs.logits.float().cpu().numpy(),
            boxes=outputs.pred_boxes.float().cpu().numpy(),
        )
