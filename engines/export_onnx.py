"""Export a YOLOS checkpoint to ONNX with a fixed input size and a dynamic batch axis
(`fashion-stream export onnx --model CHECKPOINT --out model.onnx [--input-size 512 864] ...`).

Exporter: the TorchScript-based one (`dynamo=False`). With a fixed H x W the position-embedding
interpolation of YOLOS gives the same tensor for every frame, so it is computed once before the
export and stored as a constant (left in the graph, ONNX Runtime recomputed a bicubic Resize on
every call: 164 ms of 1.39 s for YOLOS-small at 512x864 on 2 cores). The graph uses plain ONNX ops (opset 18 keeps
LayerNormalization as one node, which TensorRT then runs as one layer) and it needs no extra
package (`dynamo=True` needs onnxscript). The example batch is 2: a batch-1 example would bake
batch 1 into the reshapes even with a dynamic axis declared.

`--optimize` applies ONNX Runtime's transformer fusions (attention, LayerNorm, GELU);
`--int8` quantizes the MatMul weights to INT8 (dynamic quantization, for CPUs);
`--fp16` writes FP16 weights, activations and I/O with LayerNormalization and Softmax kept in
FP32: the precision lives in the graph, which is what TensorRT's strongly typed networks build
from (TensorRT 11 has no FP16 builder flag any more).
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np

from engines.checkpoint import load_yolos_model, resolve_labels
from engines.errors import EngineError
from engines.onnx_model import INPUT_NAME, OUTPUT_NAMES, OnnxModelInfo, to_fp16, write_model_info
from engines.preprocess import IMAGENET_MEAN, IMAGENET_STD
from engines.settings import PATCH_MULTIPLE
from engines.taxonomy import load_taxonomy

DEFAULT_INPUT_HW = (512, 864)
DEFAULT_OPSET = 18
log = logging.getLogger(__name__)


def _check_input_hw(input_hw: tuple[int, int]) -> None:
    if min(input_hw) < PATCH_MULTIPLE or any(side % PATCH_MULTIPLE for side in input_hw):
        raise EngineError(f"bad input size {input_hw}: height and width must be multiples of {PATCH_MULTIPLE}")


def freeze_position_embeddings(model, input_hw: tuple[int, int]) -> None:
    """Replace YOLOS's per-call position-embedding interpolation (and the mid-layer one, if the
    model has it) by its result for `input_hw`: the same values, computed once."""
    import torch

    class Fixed(torch.nn.Module):
        def __init__(self, value: torch.Tensor) -> None:
            super().__init__()
            self.register_buffer("value", value)

        def forward(self, *args: object, **kwargs: object) -> torch.Tensor:
            return self.get_buffer("value")

    with torch.no_grad():
        embeddings, encoder = model.vit.embeddings, model.vit.encoder
        embeddings.interpolation = Fixed(embeddings.interpolation(embeddings.position_embeddings, tuple(input_hw)))
        if encoder.interpolation is not None:
            encoder.interpolation = Fixed(encoder.interpolation(tuple(input_hw)))


def export_onnx(model_ref: str, out: str | Path, input_hw: tuple[int, int] = DEFAULT_INPUT_HW,
                opset: int = DEFAULT_OPSET, optimize: bool = False, int8: bool = False,
                fp16: bool = False, taxonomy_path: str | None = None) -> Path:
    """Write `out` (an .onnx file with fashion-stream metadata) and return its path."""
    import onnx
    import torch

    _check_input_hw(input_hw)
    if opset < 17:
        raise EngineError(f"opset {opset} is too old: use 17 or newer (LayerNormalization)")
    if fp16 and int8:
        raise EngineError("choose --fp16 (GPU) or --int8 (CPU), not both")
    out = Path(out)
    if out.suffix != ".onnx":
        raise EngineError(f"output {out} must end in .onnx")
    out.parent.mkdir(parents=True, exist_ok=True)
    model = load_yolos_model(model_ref)
    id2label = resolve_labels(model.config.id2label, load_taxonomy(taxonomy_path))
    freeze_position_embeddings(model, input_hw)

    class HeadOutputs(torch.nn.Module):
        def __init__(self, yolos):
            super().__init__()
            self.yolos = yolos

        def forward(self, pixel_values):
            outputs = self.yolos(pixel_values=pixel_values)
            return outputs.logits, outputs.pred_boxes

    example = torch.randn(2, 3, *input_hw)
    batch_axis = {0: "batch"}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shape checks fixed by the constant input size
            torch.onnx.export(
                HeadOutputs(model).eval(), (example,), str(raw), dynamo=False, opset_version=opset,
                input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES), do_constant_folding=True,
                dynamic_axes={name: batch_axis for name in (INPUT_NAME, *OUTPUT_NAMES)},
            )
        if optimize:
            raw = _optimize(raw, model.config, Path(tmp) / "optimized.onnx")
        if int8:
            raw = _quantize(raw, Path(tmp) / "int8.onnx")
        graph = onnx.load(str(raw))
    if fp16:
        graph = to_fp16(graph)
    info = OnnxModelInfo(
        id2label=id2label, input_hw=(int(input_hw[0]), int(input_hw[1])), mean=_triple(IMAGENET_MEAN),
        std=_triple(IMAGENET_STD), source_model=str(model_ref), opset=opset,
        exporter="torch.onnx.export(dynamo=False)" + (" +ort-fusions" if optimize else ""),
        precision="int8-weights" if int8 else "fp16" if fp16 else "fp32",
    )
    write_model_info(graph, info)
    onnx.checker.check_model(graph)
    onnx.save(graph, str(out))
    return out


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])


def _optimize(src: Path, config, dst: Path) -> Path:
    """ONNX Runtime's transformer fusions for a ViT-style encoder."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(str(src), model_type="vit", num_heads=config.num_attention_heads,
                               hidden_size=config.hidden_size, opt_level=1)
    optimized.save_model_to_file(str(dst))
    return dst


def _quantize(src: Path, dst: Path) -> Path:
    """Dynamic INT8 quantization of the MatMul weights (activations quantized at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return dst


def max_output_difference(model_ref: str, onnx_path: str | Path, batch: int = 2, seed: int = 0) -> float:
    """Largest |ONNX Runtime - PyTorch| over logits and boxes on random input (an export sanity check)."""
    import onnxruntime as ort
    import torch

    from engines.onnx_model import read_model_info

    info = read_model_info(onnx_path)
    pixels = np.random.default_rng(seed).standard_normal((batch, 3, *info.input_hw)).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feed = pixels.astype(np.float16) if info.precision == "fp16" else pixels
    ort_logits, ort_boxes = (o.astype(np.float32) for o in session.run(list(OUTPUT_NAMES), {INPUT_NAME: feed}))
    with torch.inference_mode():
        out = load_yolos_model(model_ref)(pixel_values=torch.from_numpy(pixels))
    return float(max(np.abs(ort_logits - out.logits.numpy()).max(), np.abs(ort_boxes - out.pred_boxes.numpy()).max()))
