"""The Tag My Outfit answer for a photo: that contract names one garment per image (a category
and its attributes), while a photo holds several. The garment it describes is the main one:
the largest (box area x score) of the clothing (dress, top, trousers, coat, ...), else of the
shoes and accessories; garment parts, closures and decorations are never chosen.

- categories: that garment's category and score; with `all_categories`, the main garment first,
  then every other category of the model with the best score it was detected with in the photo
  (0.0 when it was not), best first.
- attributes: that garment's attributes whose share of their group is above 0.5; with
  `all_attributes`, every attribute of the groups that apply to its category, with its share.
A photo with no garment answers empty lists (not an error)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import supervision as sv

CLOTHING = ("wholebody", "tops", "bottoms", "outerwear")
WORN = ("footwear", "accessories")
ATTRIBUTE_THRESHOLD = 0.5

Scores = list[tuple[str, float]]


def main_item(detections: sv.Detections) -> int | None:
    """The row of the garment a one-item answer describes (None: no garment in the photo)."""
    if len(detections) == 0:
        return None
    groups = detections.data["group"]
    area = (detections.xyxy[:, 2] - detections.xyxy[:, 0]) * (detections.xyxy[:, 3] - detections.xyxy[:, 1])
    weight = area * (detections.confidence if detections.confidence is not None else 1.0)
    for kinds in (CLOTHING, WORN):
        rows = np.flatnonzero(np.isin(groups, kinds))
        if len(rows):
            return int(rows[np.argmax(weight[rows])])
    return None


def predict(detections: sv.Detections, labels: Sequence[str], all_categories: bool, all_attributes: bool) -> tuple[Scores, Scores]:
    """(categories, attributes) of a photo as Tag My Outfit answers them.

    Args:
        detections: the photo's detections (with `attribute_scores` when attributes were scored).
        labels: every category of the model.
        all_categories: every category with its score.
        all_attributes: every attribute of the main garment with its share.

    Returns:
        Two lists of (label, value).
    """
    row = main_item(detections)
    if row is None:
        return ([(label, 0.0) for label in labels] if all_categories else []), []
    label = str(detections.data["class_name"][row])
    score = float(detections.confidence[row]) if detections.confidence is not None else 1.0
    categories = [(label, score)]
    if all_categories:
        best: dict[str, float] = {}
        for name, value in zip(detections.data["class_name"], detections.confidence if detections.confidence is not None else []):
            best[str(name)] = max(best.get(str(name), 0.0), float(value))
        categories += sorted(((name, best.get(name, 0.0)) for name in labels if name != label), key=lambda item: -item[1])
    scored = detections.data.get("attribute_scores")
    if scored is None:
        return categories, []
    garment = scored[row]
    if all_attributes:
        return categories, [(name, share) for _, name, share in garment.all()]
    return categories, [(name, share) for _, name, share in garment.above(ATTRIBUTE_THRESHOLD) if share > ATTRIBUTE_THRESHOLD]
