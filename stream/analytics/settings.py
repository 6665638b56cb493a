"""Zones and counting lines of one source: the `zones:` and `lines:` keys of a source entry."""

from __future__ import annotations

from pydantic import Field, model_validator

from engines.settings import StrictModel

Point = tuple[float, float]


class ZoneSettings(StrictModel):
    """A polygon in frame pixels; a person is in it while the bottom-centre of their box (their feet) is."""

    name: str = Field(pattern=r"^[A-Za-z0-9 _.-]+$", description="shown on the overlay and in the records")
    polygon: list[Point] = Field(min_length=3, description="[[x, y], ...] in frame pixels, at least 3 points")
    exit_after_s: float = Field(1.0, ge=0, description="outside this long before an exit counts (no flicker at the edge)")


class LineSettings(StrictModel):
    """A counting line in frame pixels; `in` is crossing it from its left to its right, looking from start to end."""

    name: str = Field(pattern=r"^[A-Za-z0-9 _.-]+$", description="shown on the overlay and in the records")
    start: Point
    end: Point
    min_frames: int = Field(2, ge=1, description="frames a person must stay on the new side before a crossing counts")

    @model_validator(mode="after")
    def _has_length(self) -> LineSettings:
        if self.start == self.end:
            raise ValueError("a line needs two different points (start == end)")
        return self


def unique_names(names: list[str], what: str) -> None:
    """Raise ValueError when two zones (or two lines) of one source share a name."""
    if len(names) != len(set(names)):
        raise ValueError(f"{what} names must be unique per source")
