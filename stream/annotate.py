"""Drawing detections on frames with supervision's single-purpose annotators."""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import supervision as sv

from stream.detections import scores, track_ids
from stream.frames import FrameResult, RegionView

MIN_SCALE = 0.8  # at 320x240 captions are still about 9 px high: legible, not 5 px


def overlay_scale(frame_hw: tuple[int, ...]) -> float:
    """How big lines and captions are drawn on a frame: 1 at 1000 px, never under MIN_SCALE, at most 3 (4K)."""
    return max(MIN_SCALE, min(3.0, max(frame_hw[:2]) / 1000))


def draw_clock(canvas: np.ndarray, when: float) -> np.ndarray:
    """The wall-clock time (local, to the second) in the bottom-left corner, where it hides no caption
    (captions sit on the tops of their boxes); in place."""
    scale = overlay_scale(canvas.shape[:2])
    text = datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    text_scale, thickness, padding = 0.5 * scale, max(1, round(scale)), max(3, round(5 * scale))
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, text_scale, thickness)
    centre = sv.Point(width // 2 + padding, canvas.shape[0] - height // 2 - padding - 2)  # draw_text centres the text on its anchor
    return sv.draw_text(canvas, text, centre, text_color=sv.Color.WHITE, text_scale=text_scale, text_thickness=thickness,
                        text_padding=padding, background_color=sv.Color.BLACK)


class GarmentAnnotator:
    """Boxes coloured by class and a 'label score' caption; never infers, only draws."""

    def __init__(self, frame_hw: tuple[int, int] | None = None) -> None:
        scale = 1.0 if frame_hw is None else overlay_scale(frame_hw)
        self.boxes = sv.BoxAnnotator(thickness=max(1, round(2 * scale)))
        self.labels = sv.LabelAnnotator(text_scale=0.5 * scale, text_thickness=max(1, round(scale)), smart_position=True)

    def annotate(self, frame: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """Return a copy of `frame` with the detections drawn on it."""
        canvas = frame.copy()
        if len(detections) == 0:
            return canvas
        captions = [f"{name} {score:.2f}" for name, score in zip(detections.data["class_name"], scores(detections))]
        canvas = self.boxes.annotate(canvas, detections)
        return self.labels.annotate(canvas, detections, labels=captions)


class OutfitAnnotator:
    """People with their id and outfit, garments with their colour and stable label ('?' while provisional),
    coloured by track; never infers, only draws."""

    def __init__(self, frame_hw: tuple[int, int] | None = None) -> None:
        scale = 1.0 if frame_hw is None else overlay_scale(frame_hw)
        lookup = sv.ColorLookup.TRACK
        self.boxes = sv.BoxAnnotator(thickness=max(1, round(2 * scale)), color_lookup=lookup)
        self.labels = sv.LabelAnnotator(text_scale=0.45 * scale, text_thickness=max(1, round(scale)), smart_position=True,
                                        color_lookup=lookup)

    def annotate(self, frame: np.ndarray, tracked: sv.Detections) -> np.ndarray:
        canvas = frame.copy()
        if len(tracked) == 0:
            return canvas
        data = tracked.data
        captions = []
        for row, track_id in enumerate(track_ids(tracked)):
            if data["kind"][row] == "person":
                captions.append(f"#{track_id} {data['outfit'][row]}")
            else:
                color = f"{data['color'][row]} " if data["color"][row] else ""
                captions.append(f"{color}{data['label'][row]}{'?' if data['provisional'][row] else ''}")
        canvas = self.boxes.annotate(canvas, tracked)
        return self.labels.annotate(canvas, tracked, labels=captions)


def draw_regions(canvas: np.ndarray, regions: list[RegionView]) -> np.ndarray:
    """Zones (outlined polygons) and counting lines, each with its name and live counts; in place."""
    if not regions:
        return canvas
    scale = overlay_scale(canvas.shape[:2])
    for index, region in enumerate(regions):
        color = sv.ColorPalette.DEFAULT.by_idx(index + 3)
        points = np.array(region.points, dtype=np.int64)
        if region.kind == "zone":
            canvas = sv.draw_filled_polygon(canvas, points, color, opacity=0.12)
            canvas = sv.draw_polygon(canvas, points, color, thickness=max(1, round(2 * scale)))
            anchor = points.min(axis=0) + np.array([4 * scale, 14 * scale])
        else:
            canvas = sv.draw_line(canvas, sv.Point(*points[0]), sv.Point(*points[1]), color, thickness=max(2, round(3 * scale)))
            anchor = points.mean(axis=0)
        h, w = canvas.shape[:2]
        x, y = int(np.clip(anchor[0], 0, w - 1)), int(np.clip(anchor[1], 0, h - 1))
        canvas = sv.draw_text(canvas, region.caption, sv.Point(x, y), text_color=sv.Color.WHITE, text_scale=0.45 * scale,
                              text_thickness=max(1, round(scale)), text_padding=max(2, round(4 * scale)), background_color=color)
    return canvas


class ResultAnnotator:
    """Draws a pipeline result as the sinks show it: people and outfits when it was tracked, else
    the raw detections. Annotators are scaled to the frame and built once per frame size."""

    def __init__(self) -> None:
        self._built: dict[tuple[bool, tuple[int, int]], GarmentAnnotator | OutfitAnnotator] = {}

    def annotate(self, result: FrameResult) -> np.ndarray:
        """The frame with what the pipeline found drawn on it."""
        frame_hw = (int(result.frame.image.shape[0]), int(result.frame.image.shape[1]))
        shown = result.tracked if result.tracked is not None else result.detections
        key = (result.tracked is not None, frame_hw)
        annotator = self._built.get(key)
        if annotator is None:
            annotator = self._built[key] = (OutfitAnnotator if key[0] else GarmentAnnotator)(frame_hw)
        return draw_regions(annotator.annotate(result.frame.image, shown), result.regions)
