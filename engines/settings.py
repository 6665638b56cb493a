"""The detector's settings: one pydantic model, the only place their defaults and limits live.

The same model is read from YAML (the `detector:` section of a run config), built from the
command line (each field is reachable with `--set detector.<field>=...`, the common ones have
their own flag) and passed in Python (`DetectorSettings(model=..., threshold=0.3)`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engines.errors import EngineError

DEFAULT_MODEL = "valentinafeve/yolos-fashionpedia"
PATCH_MULTIPLE = 16
BACKENDS = ("auto", "torch", "onnx", "openvino", "tensorrt")

Backend = Literal["auto", "torch", "onnx", "openvino", "tensorrt"]
Resampler = Literal["pil", "opencv"]


class StrictModel(BaseModel):
    """A settings model that refuses unknown keys and is immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorSettings(StrictModel):
    """Everything that decides which detections come out for a frame, and on which engine."""

    model: str = Field(DEFAULT_MODEL, description="hub id or local checkpoint directory; an exported .onnx for the onnx/openvino/tensorrt backends")
    backend: Backend = Field("auto", description="inference engine; auto: PyTorch for a checkpoint, "
                                                 "the fastest installed engine (measured once, cached) for an exported .onnx")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$", description="auto, cpu, cuda or cuda:N")
    fp16: bool = Field(False, description="half precision (CUDA only)")
    threshold: float = Field(0.5, ge=0, lt=1, description="keep detections whose class probability is above this")
    size: tuple[int, int] = Field((816, 864), description="resize rule: shortest and longest edge (as the checkpoint was fine-tuned)")
    canvas: tuple[int, int] | None = Field(None, description="letterbox every frame onto one H x W canvas (fixed-shape engines)")
    resampler: Resampler = Field("pil", description="pil: the reference processor's pixels; opencv: faster, a few grey levels apart")
    nms_iou: float | None = Field(None, gt=0, le=1, description="class-wise non-maximum suppression at this IoU (off: YOLOS rarely needs it)")
    top_k: int | None = Field(None, ge=1, description="keep at most this many detections per frame")
    threads: int | None = Field(None, ge=1, description="CPU threads of the onnx and openvino backends (none: all cores)")
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="openvino inference precision: auto is bf16 where the CPU has it")
    streams: int | None = Field(None, ge=1, description="parallel inference streams of the openvino backend (none: 1, lowest latency)")
    max_batch: int = Field(8, ge=1, le=64, description="largest batch a TensorRT engine is built for")
    taxonomy: str | None = Field(None, description="a taxonomy YAML file (default: the one shipped with the package)")

    @model_validator(mode="after")
    def _check_shapes(self) -> DetectorSettings:
        shortest, longest = self.size
        if shortest < PATCH_MULTIPLE or longest < shortest:
            raise ValueError(f"size {shortest} {longest}: need {PATCH_MULTIPLE} <= shortest edge <= longest edge")
        if self.canvas is not None and (min(self.canvas) < PATCH_MULTIPLE or any(s % PATCH_MULTIPLE for s in self.canvas)):
            raise ValueError(f"canvas {self.canvas[0]}x{self.canvas[1]}: height and width must be multiples of {PATCH_MULTIPLE}")
        return self

    @classmethod
    def build(cls, **values: object) -> DetectorSettings:
        """Like the constructor, but a bad value is an `EngineError` with one line naming the field.

        Returns:
            The validated settings.
        """
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise EngineError(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a pydantic error as one line: "bad value for 'threshold' (1.5): ..."."""
    error = exc.errors()[0]
    return bad_value(".".join(str(part) for part in error["loc"]) or "settings", error)


def bad_value(location: str, error: Any) -> str:
    """One line for a value pydantic refused: where, the value (when short) and why."""
    value = error.get("input")
    shown = f" ({value!r})" if isinstance(value, (int, float, str, bool)) and len(repr(value)) <= 60 else ""
    return f"bad value for '{location}'{shown}: {error['msg'].removeprefix('Value error, ')}"
