"""YOLOS post-processing, written once for every backend.

Raw head outputs (logits over labels + no-object, cxcywh boxes normalised to the image
content) -> `sv.Detections` in original-frame pixels, clipped to the frame, with label names,
supercategories and groups. As in transformers' `post_process_object_detection` with
`target_sizes`, a box is scaled by its own frame's size whatever padding the batch or the
letterbox canvas added: YOLOS predicts relative to the content, not to the padded input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import supervision as sv

from engines.preprocess import FrameGeometry
from engines.settings import DetectorSettings
from engines.taxonomy import Taxonomy


@dataclass(frozen=True)
class LabelTable:
    """Per class id: name, supercategory and group, as arrays for fast indexing."""

    names: np.ndarray
    supercategories: np.ndarray
    groups: np.ndarray

    @classmethod
    def build(cls, id2label: dict[int, str], taxonomy: Taxonomy) -> LabelTable:
        """Build the table for a checkpoint's labels (ids 0..n-1)."""
        infos = [taxonomy.lookup(id2label[i]) for i in range(len(id2label))]
        return cls(
            names=np.array([info.name for info in infos], dtype=object),
            supercategories=np.array([info.supercategory for info in infos], dtype=object),
            groups=np.array([info.group for info in infos], dtype=object),
        )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis, in float32."""
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def boxes_to_frame(boxes_cxcywh: np.ndarray, geometry: FrameGeometry) -> np.ndarray:
    """Content-normalised cxcywh -> xyxy in original-frame pixels, clipped to the frame.

    Args:
        boxes_cxcywh: (n, 4) boxes as the model predicts them, relative to the image content.
        geometry: where the frame sat on the model input (only its size matters here).

    Returns:
        (n, 4) float32 xyxy boxes inside [0, width] x [0, height].
    """
    cx, cy, w, h = boxes_cxcywh.astype(np.float32).T
    xyxy = np.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], axis=1)
    frame_h, frame_w = geometry.frame_hw
    xyxy *= np.array([frame_w, frame_h] * 2, dtype=np.float32)
    return sv.clip_boxes(xyxy, (frame_w, frame_h)).astype(np.float32)


def frame_detections(
    logits: np.ndarray, boxes: np.ndarray, geometry: FrameGeometry, labels: LabelTable, settings: DetectorSettings
) -> sv.Detections:
    """Detections of one frame from its (queries, classes + 1) logits and (queries, 4) boxes."""
    probs = softmax(logits)[:, :-1]
    class_id = probs.argmax(axis=1)
    confidence = probs[np.arange(len(class_id)), class_id]
    keep = np.flatnonzero(confidence > settings.threshold)
    keep = keep[np.argsort(-confidence[keep], kind="stable")]
    detections = sv.Detections(
        xyxy=boxes_to_frame(boxes[keep], geometry),
        confidence=confidence[keep].astype(np.float32),
        class_id=class_id[keep].astype(int),
    )
    if settings.nms_iou is not None and len(detections):
        detections = detections.with_nms(threshold=settings.nms_iou, class_agnostic=False)
    if settings.top_k is not None:
        detections = cast(sv.Detections, detections[: settings.top_k])
    detections.data["class_name"] = labels.names[detections.class_id].astype(str)
    detections.data["supercategory"] = labels.supercategories[detections.class_id].astype(str)
    detections.data["group"] = labels.groups[detections.class_id].astype(str)
    return detections


def postprocess(
    logits: np.ndarray,
    boxes: np.ndarray,
    geometries: list[FrameGeometry],
    labels: LabelTable,
    settings: DetectorSettings,
) -> list[sv.Detections]:
    """Detections for every frame of a batch.

    Args:
        logits: (B, queries, classes + 1) raw class logits.
        boxes: (B, queries, 4) content-normalised cxcywh boxes.
        geometries: where each frame sat on the model input.
        labels: names, supercategories and groups per class id.
        settings: `threshold`, `nms_iou` and `top_k` decide which detections are kept.

    Returns:
        One `sv.Detections` per frame, sorted by score.
    """
    return [frame_detections(logits[i], boxes[i], geometries[i], labels, settings) for i in range(len(geometries))]
