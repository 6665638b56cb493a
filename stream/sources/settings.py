"""Source settings: one entry of the `sources:` list of a run config."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field, model_validator

from engines.settings import StrictModel
from stream.analytics.settings import LineSettings, ZoneSettings, unique_names

QueuePolicy = Literal["block", "drop_oldest"]


class ReconnectSettings(StrictModel):
    """Exponential backoff with jitter; `max_attempts=None` retries forever; a connection that
    streams for `stable_s` resets the count."""

    initial_s: float = Field(0.5, gt=0, description="first wait before reconnecting")
    max_s: float = Field(10.0, gt=0, description="longest wait between tries")
    jitter: float = Field(0.25, ge=0, lt=1, description="random share added to or taken from each wait")
    max_attempts: int | None = Field(10, ge=0, description="failed reconnects in a row before giving up; null: never give up")
    stable_s: float = Field(5.0, ge=0, description="a reconnect counts as a recovery once it has streamed this long")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before try number `attempt` (1-based)."""
        base = min(self.max_s, self.initial_s * 2 ** max(0, attempt - 1))
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


class SourceSettings(StrictModel):
    """Where frames come from and how a live source is kept alive."""

    uri: str = Field(description="video file, image folder, webcam index or rtsp/http URL")
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$", description="name in file names and records (default: from the URI, without credentials)")
    policy: QueuePolicy | None = Field(None, description="default: block for finite sources, drop_oldest for live ones")
    fps: float = Field(10.0, gt=0, description="frame rate of an image folder")
    realtime: bool = Field(False, description="pace a file at its own frame rate, like a camera")
    open_timeout_s: float = Field(10.0, gt=0, description="how long opening a camera or stream may take")
    stall_timeout_s: float = Field(5.0, gt=0, description="no new frame for this long on a live source = lost")
    reconnect: ReconnectSettings = Field(default_factory=ReconnectSettings)
    zones: list[ZoneSettings] = Field(default_factory=list, description="areas where entries, exits and dwell are counted (needs tracking)")
    lines: list[LineSettings] = Field(default_factory=list, description="lines where crossings in and out are counted (needs tracking)")

    @model_validator(mode="after")
    def _unique_regions(self) -> SourceSettings:
        unique_names([z.name for z in self.zones], "zone")
        unique_names([line.name for line in self.lines], "line")
        return self
