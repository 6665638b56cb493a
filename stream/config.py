"""The run config: the one settings model of a pipeline run, read from YAML, built by the CLI or
passed in Python, with one-line errors naming the key (or the option) and what is allowed.

Its sections are the settings models of the parts that use them, so each option is declared
once, with its default and limits, next to the code it drives:
  * `detector`: `engines.settings.DetectorSettings` plus how frames are batched;
  * `sources`: `stream.sources.settings.SourceSettings`;
  * `tracking`: `stream.tracking.settings.TrackingSettings`;
  * `stages` / `sinks`: the settings models of the registered stages and sinks, by `type`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from engines.settings import DetectorSettings, StrictModel, bad_value
from stream.errors import StreamError
from stream.registry import Registry
from stream.sinks import SINKS, SinkSettings
from stream.sinks.event_store import EventStoreSettings
from stream.sinks.jsonl import JsonLinesSettings
from stream.sinks.outfit_events import OutfitEventsSettings
from stream.sinks.video import VideoSinkSettings
from stream.sources.settings import SourceSettings
from stream.stages import STAGES, StageSettings
from stream.stages.colors import ColorSettings
from stream.tracking.settings import TrackingSettings

if TYPE_CHECKING:
    SinkEntry = SinkSettings
    StageEntry = StageSettings
else:
    SinkEntry = SINKS.entry(SinkSettings)
    StageEntry = STAGES.entry(StageSettings)


class InferenceSettings(DetectorSettings):
    """The `detector:` section: the detector's settings, and how frames are batched for it."""

    batch_size: int = Field(1, ge=1, le=64, description="frames per detector call (across sources)")
    max_wait_ms: float = Field(20.0, ge=0, description="longest wait for a batch to fill")
    detect_every: int = Field(1, ge=1, description="run the detector on every N-th frame of each source; reuse between")


class QueueSettings(StrictModel):
    """The frame queue between the readers and the detector."""

    maxsize: int = Field(32, ge=1, description="frames each source may have waiting")


class RunConfig(StrictModel):
    """Everything a pipeline run needs; the defaults are the product's defaults (CLI and Python)."""

    sources: list[SourceSettings] = Field(default_factory=list)
    detector: InferenceSettings = Field(default_factory=InferenceSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    stages: list[StageEntry] = Field(default_factory=lambda: [ColorSettings()],  # type: ignore[arg-type]
                                     description="after the detector, before the tracker")
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    sinks: list[SinkEntry] = Field(default_factory=lambda: [VideoSinkSettings(), JsonLinesSettings(), OutfitEventsSettings(),
                                                            EventStoreSettings()])
    output_dir: str = Field("out/run", description="folder of the sinks' files and run_summary.json")
    overwrite: bool = Field(False, description="replace the outputs of an earlier run in output_dir (default: refuse)")
    stats_interval_s: float = Field(10.0, gt=0, description="seconds between stats lines of a live run")
    progress: bool = Field(True, description="show a progress bar for files")
    serve: str | None = Field(None, pattern=r"^(\[[0-9a-fA-F:]+\]|[^:\s\[\]]*):\d{1,5}$",
                              description="serve the live view, /status.json, /healthz and /metrics on HOST:PORT (e.g. 127.0.0.1:8080)")

    @model_validator(mode="after")
    def _unique_source_ids(self) -> RunConfig:
        ids = [s.id for s in self.sources if s.id]
        if len(ids) != len(set(ids)):
            raise ValueError("source ids must be unique")
        if not self.tracking.enabled and any(s.zones or s.lines for s in self.sources):
            raise ValueError("zones and lines count tracked people: they need tracking.enabled")
        return self

    def person_detector(self) -> DetectorSettings | None:
        """The person model, on the garment detector's engine settings; None when people come from garments."""
        if not (self.tracking.enabled and self.tracking.person_model):
            return None
        engine = {key: value for key, value in self.detector.model_dump().items() if key in DetectorSettings.model_fields}
        return DetectorSettings(**{**engine, "model": self.tracking.person_model, "threshold": self.tracking.person_threshold,
                                   "nms_iou": None, "top_k": None})


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict):
        return data.get(part)
    if isinstance(data, list) and isinstance(part, int) and part < len(data):
        return data[part]
    return None


def _allowed_keys(location: tuple, data: Any) -> str:
    """The keys allowed where an unknown key was found (sinks and stages by their `type`)."""
    model: type[BaseModel] | None = RunConfig
    registry: Registry | None = None
    for part in location[:-1]:
        data = _child(data, part)
        if isinstance(part, int):
            if registry is not None:
                model = registry.model_for(data.get("type") if isinstance(data, dict) else None)
            continue
        field = model.model_fields.get(str(part)) if model else None
        registry = (SINKS if part == "sinks" else STAGES if part == "stages" else None) if model is RunConfig else None
        annotation = field.annotation if field else None
        inner = (annotation, *getattr(annotation, "__args__", ()))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return ", ".join(model.model_fields) if model else "?"


def describe(error: Any, data: Any = None) -> str:
    """One line for one pydantic error: the key's dotted path and what is wrong or allowed.

    Args:
        error: one entry of `ValidationError.errors()`.
        data: the mapping that was validated (to name the keys allowed inside a sink or stage entry).
    """
    location = tuple(error["loc"])
    shown = ".".join(str(part) for part in location)
    if error["type"] == "extra_forbidden":
        return f"unknown key '{shown}' (allowed here: {_allowed_keys(location, data)})"
    return bad_value(shown, error)


def parse_config(data: dict[str, Any] | None, origin: str = "config", options: dict[tuple, str] | None = None) -> RunConfig:
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
                raise StreamError(f"option {option}: {describe(error, data)}") from exc
        raise StreamError(f"{origin}: {describe(error, data)}") from exc


def load_config(path: str | Path | None) -> RunConfig:
    """Read and validate a YAML run config.

    Args:
        path: the YAML file; None gives the defaults.

    Returns:
        The validated config.
    """
    return parse_config(read_config_file(path), str(path) if path else "config")


def read_config_file(path: str | Path | None) -> dict[str, Any]:
    """The raw mapping of a YAML config file (empty for None), with one-line errors."""
    if path is None:
        return {}
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise StreamError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise StreamError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if data is not None and not isinstance(data, dict):
        raise StreamError(f"config {path} must be a mapping of settings")
    return data or {}
