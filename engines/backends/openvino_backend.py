"""OpenVINO backend (CPU): an exported YOLOS model (`fashion-stream export onnx`, FP32 or INT8-quantized)
compiled by OpenVINO, in FP32 or with BF16 inference precision where the CPU has it (AVX-512 BF16,
AMX), with a compiled-model cache."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from engines.backends.base import RawOutputs
from engines.cache import cache_root
from engines.errors import EngineError
from engines.onnx_model import INPUT_NAME, OUTPUT_NAMES, check_onnx_path

PRECISIONS = {"fp32": "f32", "bf16": "bf16"}


def default_cache_dir() -> Path:
    """Where compiled models are cached (`$FASHION_STREAM_CACHE/openvino`, else `~/.cache/fashion-stream/openvino`)."""
    return cache_root() / "openvino"


@functools.cache
def openvino_core() -> Any:
    """The process's one OpenVINO Core, kept until the process ends.

    Each Core's CPU plugin installs its own alternate signal stack and, when the Core is destroyed,
    frees it and puts back the one it found. Two Cores destroyed in the order they were made
    leave a freed stack installed, and the next signal handled on it (Ctrl-C, SIGTERM) kills the
    process with a segmentation fault before the outputs are finalized. One Core never destroyed
    cannot do that (OpenVINO's advice is one Core per process anyway).

    Returns:
        An `openvino.Core`.
    """
    import openvino as ov

    return ov.Core()


def cpu_has_bf16() -> bool:
    """True when OpenVINO can run BF16 on this CPU."""
    return "BF16" in openvino_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoBackend:
    """Runs an exported model with OpenVINO on the CPU.

    Args:
        path: the exported .onnx file.
        precision: `auto` (BF16 where the CPU has it, else FP32), `fp32` or `bf16`.
        threads: inference threads (None: OpenVINO's choice, all cores).
        streams: parallel inference streams (None: 1, lowest latency for one camera).
        cache_dir: compiled-model cache (None: `default_cache_dir()`; "" turns it off).
    """

    name = "openvino"

    def __init__(self, path: str | Path, precision: str = "auto", threads: int | None = None, streams: int | None = None,
                 cache_dir: str | Path | None = None) -> None:
        try:
            core = openvino_core()
        except ImportError as exc:
            raise EngineError("the openvino backend needs OpenVINO: pip install 'fashion-stream[openvino]'") from exc
        path = check_onnx_path(path)
        has_bf16 = cpu_has_bf16()
        if precision == "auto":
            precision = "bf16" if has_bf16 else "fp32"
        if precision == "bf16" and not has_bf16:
            raise EngineError("precision bf16: this CPU has no BF16 support (AVX-512 BF16 or AMX); use fp32")
        self.precision = precision
        config: dict[str, object] = {"INFERENCE_PRECISION_HINT": PRECISIONS[precision], "PERFORMANCE_HINT": "LATENCY",
                                     "NUM_STREAMS": str(streams or 1)}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        cache = default_cache_dir() if cache_dir is None else (Path(cache_dir) if cache_dir else None)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            config["CACHE_DIR"] = str(cache)
        try:
            self.compiled = core.compile_model(str(path), "CPU", config)
        except Exception as exc:  # OpenVINO raises RuntimeError with multi-line reasons
            raise EngineError(f"OpenVINO cannot compile {path}: {str(exc).strip().splitlines()[0]}") from exc
        self.request = self.compiled.create_infer_request()
        self.outputs = [self.compiled.output(name) for name in OUTPUT_NAMES]

    def close(self) -> None:
        """Release the compiled model."""
        self.request = None
        self.compiled = None

    def infer(self, pixel_values: np.ndarray) -> RawOutputs:
        """Run one batch and return float32 outputs."""
        if self.request is None:
            raise EngineError("the openvino backend was closed")
        results = self.request.infer({INPUT_NAME: np.ascontiguousarray(pixel_values, dtype=np.float32)})
        logits, boxes = (np.asarray(results[output], dtype=np.float32) for output in self.outputs)
        return RawOutputs(logits=logits, boxes=boxes)
