"""ONNX Runtime backend: an exported YOLOS model on the CPU, or on CUDA / TensorRT providers when present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engines.backends.base import RawOutputs, cuda_index
from engines.errors import EngineError
from engines.onnx_model import INPUT_NAME, OUTPUT_NAMES, check_onnx_path

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def choose_providers(device: str, available: list[str]) -> list[str]:
    """Providers in order of preference for a device ('auto', 'cpu', 'cuda', 'cuda:N')."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    gpu = [p for p in GPU_PROVIDERS if p in available]
    if device.startswith("cuda") and not gpu:
        raise EngineError(
            f"device {device!r} requested but this onnxruntime has no CUDA provider "
            f"(available: {', '.join(available)}); install onnxruntime-gpu or use --device cpu"
        )
    if device != "auto" and not device.startswith("cuda"):
        raise EngineError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N")
    return gpu + ["CPUExecutionProvider"]


class OnnxRuntimeBackend:
    """Runs an exported model (`engines.export_onnx`) with ONNX Runtime."""

    name = "onnx"

    def __init__(self, path: str | Path, device: str = "auto", threads: int | None = None) -> None:
        import onnxruntime as ort

        path = check_onnx_path(path)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        # ONNX Runtime's memory pattern pre-plans one buffer for every intermediate of a shape and keeps
        # it in its arena: for YOLOS (attention maps of ~1800 tokens) that doubled the peak RSS (batch 1:
        # 520 -> 345 MB without it; batch 4: 1672 -> 963 MB), at the same speed.
        options.enable_mem_pattern = False
        providers = choose_providers(device, ort.get_available_providers())
        provider_options = [{"device_id": cuda_index(device)} if p in GPU_PROVIDERS else {} for p in providers]
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers, provider_options=provider_options)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise EngineError(f"ONNX Runtime cannot load {path}: {str(exc).splitlines()[0]}") from exc
        self.providers = self.session.get_providers()
        # On the CPU provider a batch runs one image at a time: the attention maps of a batch of 4
        # YOLOS-small images took the peak RSS from 418 to 965 MB (PyTorch: 729 MB), and one at a time
        # was 5 % faster ([4-13 %], 5 interleaved rounds), with identical outputs (tools: README "Memory").
        self.one_at_a_time = self.providers == ["CPUExecutionProvider"]
        self.input_type = np.float16 if self.session.get_inputs()[0].type == "tensor(float16)" else np.float32

    def close(self) -> None:
        """Release the session (its memory arena and any GPU memory)."""
        self.session = None

    def infer(self, pixel_values: np.ndarray) -> RawOutputs:
        """Run one batch and return float32 outputs."""
        if self.session is None:
            raise EngineError("the onnx backend was closed")
        pixels = pixel_values.astype(self.input_type, copy=False)
        parts = [pixels[i:i + 1] for i in range(len(pixels))] if self.one_at_a_time and len(pixels) > 1 else [pixels]
        outputs = [self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: part}) for part in parts]
        logits, boxes = (np.concatenate(arrays) for arrays in zip(*outputs))
        return RawOutputs(logits=logits.astype(np.float32, copy=False), boxes=boxes.astype(np.float32, copy=False))
