"""The contract every backend fulfils, so pre/post-processing is shared by all of them."""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np


def cuda_index(device: str) -> int:
    """The GPU ordinal of a device string ('cuda:1' -> 1; 'cuda' and 'auto' -> 0)."""
    return int(device.split(":")[1]) if device.startswith("cuda:") else 0


class RawOutputs(NamedTuple):
    """YOLOS head outputs: logits (B, queries, classes + 1) and boxes (B, queries, 4) cxcywh in [0, 1]."""

    logits: np.ndarray
    boxes: np.ndarray


class Backend(Protocol):
    """Runs the YOLOS network; knows nothing of frames, labels or thresholds."""

    name: str

    def infer(self, pixel_values: np.ndarray) -> RawOutputs:
        """Run one batch (B, 3, H, W) float32."""
        ...

    def close(self) -> None:
        """Release the engine's memory (device buffers, sessions); the backend is unusable after."""
        ...
