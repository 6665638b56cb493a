"""Run configuration: YAML files validated with pydantic, with one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engines.checkpoint import DEFAULT_MODEL
from stream.errors import StreamError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReconnectConfig(Strict):
    initial_s: float = Field(0.5, gt=0)
    max_s: float = Field(10.0, gt=0)
    jitter: float = Field(0.25, ge=0, lt=1)
    max_attempts: int | None = Field(10, ge=0, description="failed reconnects in a row before giving up; null: never give up")
    stable_s: float = Field(5.0, gt=0, description="a reconnect counts as a recovery once it has streamed this long")


class SourceConfig(Strict):
    uri: str
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$", description="name in file names and records (default: from the URI, without credentials)")
    policy: Literal["block", "drop_oldest"] | None = Field(None, description="default: block for finite sources, drop_oldest for live ones")
    fps: float = Field(10.0, gt=0, description="frame rate of an image folder")
    realtime: bool = Field(False, description="pace a file at its own frame rate, like a camera")
    open_timeout_s: float = Field(10.0, gt=0)
    stall_timeout_s: float = Field(5.0, gt=0, description="no new frame for this long on a live source = lost")
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)


class DetectorConfig(Strict):
    model: str = DEFAULT_MODEL
    backend: Literal["torch", "onnx", "tensorrt"] = "torch"
    device: str = "auto"
    fp16: bool = False
    threshold: float = Field(0.5, ge=0, lt=1)
    size: tuple[int, int] = (816, 864)
    canvas: tuple[int, int] | None = None
    nms_iou: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=1)
    batch_size: int = Field(1, ge=1, le=64)
    max_wait_ms: float = Field(20.0, ge=0)
    detect_every: int = Field(1, ge=1)
    threads: int | None = Field(None, ge=1, description="onnx backend: CPU threads")
    max_batch: int = Field(8, ge=1, le=64, description="tensorrt backend: largest batch of the engine")


class StabilizerConfig(Strict):
    alpha: float = Field(0.25, gt=0, le=1, description="weight of each observation in the evidence average")
    lock_share: float = Field(0.6, gt=0, le=1, description="evidence share a label needs to lock")
    min_observations: int = Field(3, ge=1, description="observations before a first lock")
    switch_margin: float = Field(0.2, ge=0, lt=1, description="lead a challenger needs over the locked label")
    switch_updates: int = Field(5, ge=1, description="consecutive updates the challenger must lead (K)")


class TrackingConfig(Strict):
    enabled: bool = True
    person_model: str | None = Field(None, description="checkpoint with a 'person' label (e.g. hustvl/yolos-tiny); none: people from garments")
    person_threshold: float = Field(0.5, ge=0, lt=1)
    colors: bool = Field(True, description="name each garment's colour from its pixels and vote it over frames")
    stabilizer: StabilizerConfig = Field(default_factory=StabilizerConfig)
    lost_track_buffer: int = Field(30, ge=1, description="frames a lost track is kept for re-finding")
    activation_threshold: float = Field(0.3, ge=0, lt=1)
    owner_ioa: float = Field(0.5, gt=0, le=1)
    part_ioa: float = Field(0.6, gt=0, le=1)
    attribute_min_count: int = Field(3, ge=1)
    slot_miss_limit: int = Field(8, ge=1)
    relink_s: float = Field(3.0, ge=0)
    leave_after_s: float = Field(2.0, gt=0)


class QueueConfig(Strict):
    maxsize: int = Field(32, ge=1)


class SinkConfig(Strict):
    type: Literal["video", "jsonl", "frames", "events"]
    path: str | None = Field(None, description="default: inside output_dir")
    every: int = Field(1, ge=1, description="frames sink: keep every n-th frame")
    block: bool | None = Field(None, description="wait for a lagging sink (default: yes unless a source is live)")


class RunConfig(Strict):
    sources: list[SourceConfig] = Field(default_factory=list)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    sinks: list[SinkConfig] = Field(default_factory=lambda: [SinkConfig(type="video"), SinkConfig(type="jsonl"), SinkConfig(type="events")])
    output_dir: str = "out/run"
    overwrite: bool = Field(False, description="replace the outputs of an earlier run in output_dir (default: refuse)")
    stats_interval_s: float = Field(10.0, gt=0)
    progress: bool = True

    @model_validator(mode="after")
    def _unique_source_ids(self) -> RunConfig:
        ids = [s.id for s in self.sources if s.id]
        if len(ids) != len(set(ids)):
            raise ValueError("source ids must be unique")
        return self


def _describe(error: dict, model: type[BaseModel]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        parent: type[BaseModel] | None = model
        for part in error["loc"][:-1]:
            if parent is None or isinstance(part, int):
                continue
            annotation = parent.model_fields[part].annotation
            inner = getattr(annotation, "__args__", (annotation,))
            parent = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        allowed = ", ".join(parent.model_fields) if parent else "?"
        return f"unknown key '{location}' (allowed here: {allowed})"
    return f"bad value for '{location}': {error['msg']}"


def parse_config(data: dict, origin: str = "config", options: dict[tuple, str] | None = None) -> RunConfig:
    """Validate a config mapping; the first problem becomes a one-line StreamError.

    Args:
        data: the settings, as loaded from YAML (with command-line values applied).
        origin: what to blame (the config file's path).
        options: settings that came from command-line options: their location (e.g.
            ("detector", "batch_size")) -> the option (`--batch-size`), blamed instead of `origin`.

    Returns:
        The validated config.
    """
    try:
        return RunConfig.model_validate(data or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        for prefix, option in (options or {}).items():
            if location[: len(prefix)] == prefix:
                raise StreamError(f"option {option}: {_describe(error, RunConfig)}") from exc
        raise StreamError(f"{origin}: {_describe(error, RunConfig)}") from exc


def load_config(path: str | Path | None) -> RunConfig:
    """Read and validate a YAML run config (None: all defaults)."""
    if path is None:
        return RunConfig()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise StreamError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise StreamError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if data is not None and not isinstance(data, dict):
        raise StreamError(f"config {path} must be a mapping of settings")
    return parse_config(data, str(path))
