"""What an exported YOLOS ONNX file carries besides the network: labels, input size, normalisation.

The metadata lets an engine (ONNX Runtime or TensorRT) run without the original checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from engines.errors import ModelLoadError

INPUT_NAME = "pixel_values"
OUTPUT_NAMES = ("logits", "pred_boxes")
METADATA_KEY = "fashion_stream"


@dataclass(frozen=True)
class OnnxModelInfo:
    """Metadata stored in the ONNX file's `metadata_props` under one JSON key."""

    id2label: dict[int, str]
    input_hw: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    source_model: str
    opset: int
    exporter: str
    precision: str = "fp32"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> OnnxModelInfo:
        data = json.loads(text)
        data["id2label"] = {int(k): v for k, v in data["id2label"].items()}
        for key in ("input_hw", "mean", "std"):
            data[key] = tuple(data[key])
        return cls(**data)


def check_onnx_path(path: str | Path) -> Path:
    """The path of an existing .onnx file, or a one-line error."""
    path = Path(path).expanduser()
    if path.suffix != ".onnx":
        raise ModelLoadError(
            f"{path} is not an .onnx file; the onnx and tensorrt backends take a model exported with "
            "`fashion-stream export onnx --model CHECKPOINT --out model.onnx`"
        )
    if not path.is_file():
        raise ModelLoadError(f"ONNX model not found: {path}")
    return path


def read_model_info(path: str | Path) -> OnnxModelInfo:
    """The metadata of an exported model (without loading its weights)."""
    import onnx

    path = check_onnx_path(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise ModelLoadError(f"{path} is not a readable ONNX model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
    props = {p.key: p.value for p in model.metadata_props}
    if METADATA_KEY not in props:
        raise ModelLoadError(f"{path} has no fashion-stream metadata; export it with `fashion-stream export onnx`")
    return OnnxModelInfo.from_json(props[METADATA_KEY])


def write_model_info(model, info: OnnxModelInfo) -> None:
    """Set (or replace) the metadata on an in-memory `onnx.ModelProto`."""
    for prop in list(model.metadata_props):
        if prop.key == METADATA_KEY:
            model.metadata_props.remove(prop)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, info.to_json()


def file_digest(path: str | Path, length: int = 16) -> str:
    """A short SHA-256 of a file's bytes (engine cache keys use it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:length]


FP32_OPS = ["LayerNormalization", "Softmax", "ReduceMean", "Pow", "Sqrt"]


def to_fp16(graph):
    """FP16 weights, activations and I/O; normalisation and softmax stay FP32 (casts around them)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16
    from onnxruntime.transformers.onnx_model import OnnxModel

    converted = OnnxModel(convert_float_to_float16(graph, keep_io_types=False, op_block_list=FP32_OPS))
    converted.topological_sort()  # the converter appends its Cast nodes at the end
    return converted.model
