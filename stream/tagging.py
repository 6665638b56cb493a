"""Still images -> garments with colours and attributes: what `detect`, the HTTP API and the gRPC
services return for a picture, computed the same way for all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import supervision as sv

from engines.attributes import AttributeScorer
from stream.inference import Detector
from stream.records import detection_items
from stream.stages.attributes import leading
from stream.stages.colors import with_colors


class ImageTagger:
    """The detector, then each garment's colour and (with a scorer) its attributes.

    Args:
        detector: anything with `detect(frames) -> list[sv.Detections]` (a `YolosDetector`).
        scorer: the CLIP attribute scorer; None: no attributes.
        min_score: an attribute is kept when its share of its group is at least this.
    """

    def __init__(self, detector: Detector, scorer: AttributeScorer | None = None, min_score: float = 0.5) -> None:
        self.detector = detector
        self.scorer = scorer
        self.min_score = min_score
        self.last_scored: list[list[Any]] = []  # the full attribute scores of the last batch (per image, per box)

    def tag(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detections for each BGR image, in one detector batch, with `color` and `attributes` in `data`."""
        found = self.detector.detect(list(images)) if images else []
        for image, detections in zip(images, found):
            with_colors(image, detections)
        self.last_scored = []
        if self.scorer is not None:
            labels = [[str(n) for n in d.data.get("class_name", [])] for d in found]
            self.last_scored = self.scorer.score_many([(image, d.xyxy, names) for image, d, names in zip(images, found, labels)])
            for detections, per_box in zip(found, self.last_scored):
                if len(detections):
                    detections.data["attributes"] = leading(per_box, self.min_score)
        return found


def image_document(name: str, image: np.ndarray, detections: sv.Detections, model: str, threshold: float) -> dict[str, Any]:
    """The JSON of one image, as `detect` writes it and the HTTP API returns it.

    Args:
        name: the image's path or upload name.
        image: the frame (for its size).
        detections: its detections.
        model: the detector's model (hub id or path).
        threshold: the detector's threshold.

    Returns:
        A JSON-ready mapping: image, width, height, model, threshold, items.
    """
    return {"image": name, "width": int(image.shape[1]), "height": int(image.shape[0]), "model": model, "threshold": threshold,
            "items": [item.line() for item in detection_items(detections)]}
