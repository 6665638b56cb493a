"""The `colors` stage: garment colour names from pixels. Each garment box's central region,
every pixel named after the nearest of a small palette (in CIELAB, where distance follows
perceived difference), and the name most of them share. No model: a plain image measurement,
added as `data["color"]` (the tracker votes it over frames)."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import supervision as sv

from stream.frames import FrameResult
from stream.stages import STAGES, Stage, StageSettings

PALETTE_BGR = {  # basic colour terms, as 8-bit BGR
    "black": (25, 25, 25),
    "gray": (128, 128, 128),
    "white": (240, 240, 240),
    "red": (35, 30, 200),
    "orange": (30, 130, 240),
    "yellow": (50, 215, 235),
    "green": (60, 140, 50),
    "blue": (190, 90, 40),
    "navy": (80, 35, 25),
    "purple": (140, 50, 120),
    "pink": (190, 150, 240),
    "brown": (40, 70, 110),
    "beige": (165, 200, 220),
}
MIXED = "multicolor"
CROP_MARGIN = 0.2  # share of the box left out on each side (background, neighbouring garments)
SAMPLE_SIDE = 24  # the central region is shrunk to at most this many pixels a side
MIN_SHARE = 0.4  # below this share for the commonest name, the garment is `multicolor`


def _to_lab(bgr: np.ndarray) -> np.ndarray:
    """8-bit BGR pixels (N, 3) -> float CIELAB (N, 3)."""
    return cv2.cvtColor(bgr.reshape(-1, 1, 3).astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab).reshape(-1, 3)


NAMES = tuple(PALETTE_BGR)
PALETTE_LAB = _to_lab(np.array([PALETTE_BGR[n] for n in NAMES], dtype=np.uint8))


def color_name(region: np.ndarray) -> str:
    """The colour most pixels of a BGR `region` are nearest to; `multicolor` when no name has
    `MIN_SHARE` of them, '' for an empty region."""
    if region.size == 0:
        return ""
    h, w = region.shape[:2]
    scale = min(1.0, SAMPLE_SIDE / max(h, w))
    if scale < 1.0:
        region = cv2.resize(region, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    lab = _to_lab(region.reshape(-1, 3))
    nearest = np.linalg.norm(lab[:, None, :] - PALETTE_LAB[None, :, :], axis=2).argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(NAMES))
    best = int(counts.argmax())
    return NAMES[best] if counts[best] >= MIN_SHARE * len(nearest) else MIXED


def central_region(image: np.ndarray, box: np.ndarray, margin: float = CROP_MARGIN) -> np.ndarray:
    """The part of `box` (x1, y1, x2, y2) that is `margin` of its size away from every edge, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    h, w = image.shape[:2]
    left, top = max(0, int(round(x1 + dx))), max(0, int(round(y1 + dy)))
    right, bottom = min(w, int(round(x2 - dx))), min(h, int(round(y2 - dy)))
    return image[top:bottom, left:right] if right > left and bottom > top else image[0:0, 0:0]


def with_colors(image: np.ndarray, detections: sv.Detections) -> sv.Detections:
    """`detections` with `data["color"]`: the colour name of each box's central region in `image` (BGR)."""
    if len(detections) == 0:
        return detections
    detections.data["color"] = np.array([color_name(central_region(image, box)) for box in detections.xyxy], dtype=object)
    return detections


class ColorSettings(StageSettings):
    """`{type: colors}`: name each detection's colour."""

    type: Literal["colors"] = "colors"


@STAGES.register(ColorSettings)
class ColorStage(Stage):
    """Adds `data["color"]` to the detections the detector just made (reused ones already have it)."""

    name = "colors"

    @classmethod
    def from_settings(cls, settings: ColorSettings) -> ColorStage:
        """The stage a config entry describes."""
        return cls()

    def process(self, results: list[FrameResult]) -> None:
        """Name the colours of every freshly detected frame."""
        for result in results:
            if not result.reused:
                result.detections = with_colors(result.frame.image, result.detections)
