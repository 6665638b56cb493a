"""`backend: auto`: the fastest engine installed for the model and the device, from a short
measurement cached per model file, CPU, engine versions and threads.

A checkpoint runs on PyTorch (the other engines need an exported .onnx). An exported model is
measured on ONNX Runtime and, when installed, OpenVINO — in FP32 and, where the CPU has BF16 and
the settings leave the precision to `auto`, in BF16 too: a warm-up and three interleaved calls each
on a batch of one frame of the model's input size; the fastest wins. On a CUDA device with
TensorRT installed, TensorRT is chosen without measuring.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np

from engines.cache import cache_root
from engines.settings import DetectorSettings

log = logging.getLogger(__name__)


def cache_file() -> Path:
    """Where the measured choices are kept."""
    return cache_root() / "auto_backend.json"


def cpu_signature() -> str:
    """The CPU model and the instruction-set flags that decide engine speed."""
    model, flags = platform.processor(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = " ".join(sorted(f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "amx"))))
                break
    except OSError:
        pass
    return f"{model} | {flags} | {os.cpu_count()} cores"


def _versions() -> str:
    """The installed versions of the measured engines (a new version measures again)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("onnxruntime", "openvino"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    return ", ".join(parts)


def _candidate_settings(settings: DetectorSettings, name: str) -> DetectorSettings:
    """The settings a candidate name ("onnx", "openvino", "openvino-bf16") stands for."""
    backend, _, precision = name.partition("-")
    return settings.model_copy(update={"backend": backend, **({"precision": precision} if precision else {})})


def _measure(settings: DetectorSettings, candidates: list[str], input_hw: tuple[int, int]) -> dict[str, float]:
    """Median seconds per call of each candidate, interleaved."""
    from engines.detector import make_backend

    backends = {name: make_backend(_candidate_settings(settings, name)) for name in candidates}
    batch = np.random.default_rng(0).standard_normal((1, 3, *input_hw)).astype(np.float32)
    times: dict[str, list[float]] = {name: [] for name in candidates}
    try:
        for backend in backends.values():
            backend.infer(batch)  # warm-up (compilation, allocation)
        for _ in range(3):
            for name, backend in backends.items():
                start = time.perf_counter()
                backend.infer(batch)
                times[name].append(time.perf_counter() - start)
    finally:
        for backend in backends.values():
            backend.close()
    return {name: float(np.median(values)) for name, values in times.items()}


def _openvino_candidates(settings: DetectorSettings) -> list[str]:
    """OpenVINO at the settings' precision, or (precision auto) FP32 and, where the CPU has it, BF16."""
    if importlib.util.find_spec("openvino") is None:
        return []
    if settings.precision != "auto":
        return [f"openvino-{settings.precision}"]
    from engines.backends.openvino_backend import cpu_has_bf16

    return ["openvino-fp32"] + (["openvino-bf16"] if cpu_has_bf16() else [])


def choose_backend(settings: DetectorSettings) -> tuple[DetectorSettings, str]:
    """The settings `backend: auto` stands for (engine and, for OpenVINO, precision), and why (a line for the log).

    Args:
        settings: detector settings with `backend: auto`.

    Returns:
        (the settings with the chosen backend and precision, reason).
    """
    if not settings.model.endswith(".onnx"):
        return settings.model_copy(update={"backend": "torch"}), \
            "a checkpoint runs on PyTorch (export it to .onnx for ONNX Runtime, OpenVINO or TensorRT)"
    if settings.device.startswith("cuda") or settings.device == "auto":
        import torch

        if torch.cuda.is_available() and importlib.util.find_spec("tensorrt") is not None:
            return settings.model_copy(update={"backend": "tensorrt"}), "an exported model on a CUDA GPU with TensorRT installed"
    candidates = ["onnx", *_openvino_candidates(settings)]
    if len(candidates) == 1:
        return settings.model_copy(update={"backend": "onnx"}), \
            "ONNX Runtime is the only engine installed for an exported model on this device (OpenVINO: the openvino extra)"
    from engines.onnx_model import file_digest, read_model_info

    info = read_model_info(settings.model)
    key = hashlib.sha256("|".join([file_digest(settings.model), cpu_signature(), _versions(), str(settings.threads),
                                   settings.precision, settings.device]).encode()).hexdigest()[:24]
    path = cache_file()
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if key in cached:
        timings, origin = cached[key]["ms"], f"measured earlier ({path})"
    else:
        timings = {name: round(1000 * seconds, 1) for name, seconds in _measure(settings, candidates, (int(info.input_hw[0]), int(info.input_hw[1]))).items()}
        cached[key] = {"model": str(settings.model), "cpu": cpu_signature(), "ms": timings}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cached, indent=1))
            tmp.replace(path)
        except OSError as exc:
            log.debug("cannot cache the backend choice in %s: %s", path, exc)
        origin = "measured now"
    best = min(timings, key=lambda name: timings[name])
    others = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(timings.items(), key=lambda item: item[1]) if name != best)
    return _candidate_settings(settings, best), \
        f"{best} {timings[best]:.0f} ms a frame vs {others} ({origin}, {platform.machine()} {cpu_signature().split(' | ')[0]})"
