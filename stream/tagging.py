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

    def tag(self, images: Sequence[np.ndarray], attributes: Sequence[bool] | None = None) -> list[sv.Detections]:
        """Detections for each BGR image, in one detector batch, with `color` in `data` and, where
        scored, `attributes` (each group's leader at `min_score` or more) and `attribute_scores`
        (every share: a `GarmentAttributes` per box).

        Args:
            images: the frames.
            attributes: which images to score attributes for (default: all, when there is a scorer).

        Returns:
            One `sv.Detections` per image.
        """
        found = self.detector.detect(list(images)) if images else []
        for image, detections in zip(images, found):
            with_colors(image, detections)
        wanted = [i for i, want in enumerate(attributes or [True] * len(found)) if want and len(found[i])]
        if self.scorer is not None and wanted:
            jobs = [(images[i], found[i].xyxy, [str(n) for n in found[i].data["class_name"]]) for i in wanted]
            for i, per_box in zip(wanted, self.scorer.score_many(jobs)):
                found[i].data["attributes"] = leading(per_box, self.min_score)
                column = np.empty(len(per_box), dtype=object)
                column[:] = per_box
                found[i].data["attribute_scores"] = column
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
