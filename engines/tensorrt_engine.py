"""Building TensorRT engines from exported ONNX files, with an on-disk cache.

TensorRT and pycuda are an optional extra (`pip install -e .[tensorrt]`), imported only here and
in the TensorRT backend, and only when asked for. Precision lives in the ONNX graph (strongly typed
networks, the only kind TensorRT 11 builds): FP16 means an ONNX file exported with `--fp16`
(LayerNormalization and Softmax kept FP32), converted on the fly when an FP32 file is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from engines.cache import cache_root
from engines.errors import EngineError
from engines.onnx_model import INPUT_NAME, OnnxModelInfo, file_digest, read_model_info

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """$FASHION_STREAM_CACHE/tensorrt, else ~/.cache/fashion-stream/tensorrt."""
    return cache_root() / "tensorrt"


def import_tensorrt():
    """`tensorrt` and `pycuda.driver`, or one line saying what is missing and how to get it."""
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise EngineError(
            "the tensorrt backend needs TensorRT: pip install -e '.[tensorrt]' on a machine with an NVIDIA GPU "
            "(or use --backend onnx / torch)"
        ) from exc
    try:
        import pycuda.driver as cuda
    except ImportError as exc:
        raise EngineError("the tensorrt backend needs pycuda: pip install pycuda (it builds against the CUDA toolkit)") from exc
    try:
        cuda.init()
        if cuda.Device.count() == 0:
            raise EngineError("the tensorrt backend needs an NVIDIA GPU; none was found")
    except cuda.Error as exc:
        raise EngineError(f"CUDA is not usable: {exc}") from exc
    return trt, cuda


@dataclass(frozen=True)
class EngineSpec:
    """Everything an engine depends on; its digest names the cached engine file."""

    model_sha: str
    tensorrt_version: str
    gpu_name: str
    input_hw: tuple[int, int]
    precision: str
    min_batch: int
    opt_batch: int
    max_batch: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise EngineError(f"bad batch range {self.min_batch}..{self.max_batch} (opt {self.opt_batch}): need 1 <= min <= opt <= max")
        if self.precision not in ("fp32", "fp16"):
            raise EngineError(f"bad precision {self.precision!r}: use fp32 or fp16")

    def cache_name(self) -> str:
        """File name of the cached engine: readable prefix, digest of every field."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]
        gpu = "".join(c if c.isalnum() else "-" for c in self.gpu_name).strip("-").lower()
        h, w = self.input_hw
        return f"yolos-{h}x{w}-{self.precision}-b{self.min_batch}-{self.max_batch}-trt{self.tensorrt_version}-{gpu}-{digest}.engine"


def engine_spec(onnx_path: str | Path, info: OnnxModelInfo, trt_version: str, gpu_name: str,
                precision: str = "fp16", max_batch: int = 8, opt_batch: int | None = None) -> EngineSpec:
    """The spec for building `onnx_path` at `precision` for batches 1..max_batch."""
    return EngineSpec(
        model_sha=file_digest(onnx_path), tensorrt_version=trt_version, gpu_name=gpu_name,
        input_hw=(int(info.input_hw[0]), int(info.input_hw[1])), precision=precision, min_batch=1,
        opt_batch=opt_batch or max_batch, max_batch=max_batch,
    )


def onnx_for_precision(onnx_path: Path, info: OnnxModelInfo, precision: str, cache_dir: Path) -> Path:
    """The ONNX file whose graph has the wanted precision (an FP32 export is converted once and cached)."""
    if info.precision == precision:
        return onnx_path
    if info.precision == "fp32" and precision == "fp16":
        import onnx

        from engines.onnx_model import to_fp16, write_model_info

        target = cache_dir / f"{onnx_path.stem}-{file_digest(onnx_path)}-fp16.onnx"
        if not target.exists():
            graph = to_fp16(onnx.load(str(onnx_path)))
            write_model_info(graph, OnnxModelInfo(**{**asdict(info), "precision": "fp16"}))
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
            try:
                onnx.save(graph, str(partial))
                partial.replace(target)  # never leave a half-written file under the final name
            finally:
                partial.unlink(missing_ok=True)
        return target
    raise EngineError(f"{onnx_path} is a {info.precision} export; TensorRT builds fp32 or fp16 exports (re-export without --int8)")


def build_engine(onnx_path: str | Path, precision: str = "fp16", max_batch: int = 8, opt_batch: int | None = None,
                 cache_dir: str | Path | None = None, workspace_gib: float = 4.0, device_index: int = 0) -> Path:
    """Path of a serialized engine for `onnx_path`, built now unless the cache already has it."""
    trt, cuda = import_tensorrt()
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    info = read_model_info(onnx_path)
    source = onnx_for_precision(Path(onnx_path), info, precision, cache_dir)
    gpu_name = cuda.Device(device_index).name()
    spec = engine_spec(source, info, trt.__version__, gpu_name, precision, max_batch, opt_batch)
    target = cache_dir / spec.cache_name()
    if target.exists():
        log.info("using cached TensorRT engine %s", target)
        return target
    log.info("building TensorRT engine for %s (%s, batch 1..%d); this takes a few minutes once", source, precision, max_batch)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):  # opt-in on TensorRT 10, always on in 11
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(source)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise EngineError(f"TensorRT cannot parse {source}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gib * (1 << 30)))
    profile = builder.create_optimization_profile()
    h, w = spec.input_hw
    profile.set_shape(INPUT_NAME, (spec.min_batch, 3, h, w), (spec.opt_batch, 3, h, w), (spec.max_batch, 3, h, w))
    config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise EngineError(f"TensorRT failed to build an engine from {source} (see the TensorRT log above)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(bytes(serialized))
    partial.replace(target)  # never leave a half-written engine under the final name
    target.with_suffix(".json").write_text(json.dumps({**asdict(spec), "onnx": str(source), "model": asdict(info)}, indent=1))
    return target
