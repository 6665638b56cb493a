"""Stages: work done on each batch of results after the detector and before the tracker (a stage
with `after_tracking` runs after it, on the tracked people and garments). A stage measures or adds to results; it never reads frames
from a source and never writes outputs.

Every module of this folder is imported here, so a stage defined in a new file registers itself
(`@STAGES.register(...)`) and the `stages:` list of a run config can name its `type`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stream.frames import FrameResult
from stream.registry import PartSettings, Registry, import_all


class Stage:
    """One step of the pipeline after the detector; subclasses override what they need."""

    name = "stage"
    after_tracking = False  # True: runs after the tracker (and zones), on tracked garments

    def process(self, results: list[FrameResult]) -> None:
        """Add to the results of one batch, in order (per-source order is kept)."""

    def amend(self, events: list[Any]) -> None:
        """Add to the end-of-run events that the stages before this one raised (`leave` with its outfit)."""

    def finish(self) -> list[Any]:
        """Events raised when the run ends (delivered to every sink)."""
        return []


class StageSettings(PartSettings):
    """One entry of the `stages:` list of a run config; each stage type adds its own keys."""


STAGES: Registry[Stage] = Registry("stage")

import_all(__name__, Path(__file__).parent)

__all__ = ["STAGES", "Stage", "StageSettings"]
