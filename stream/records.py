"""Plain-data views of detections, for JSON files, event streams and summaries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import supervision as sv


def detection_items(detections: sv.Detections, decimals: int = 1) -> list[dict[str, Any]]:
    """One JSON-ready dict per detection: label, group, supercategory, score, box (x1, y1, x2, y2 px), colour if named."""
    items = []
    for i in range(len(detections)):
        item: dict[str, Any] = {
            "label": str(detections.data["class_name"][i]),
            "group": str(detections.data["group"][i]),
            "supercategory": str(detections.data["supercategory"][i]),
            "score": round(float(detections.confidence[i]), 4),
            "box": [round(float(v), decimals) for v in detections.xyxy[i]],
        }
        if "color" in detections.data:
            item["color"] = str(detections.data["color"][i])
        if detections.tracker_id is not None:
            item["track_id"] = int(detections.tracker_id[i])
        items.append(item)
    return items


def tracked_items(tracked: sv.Detections, decimals: int = 1) -> list[dict[str, Any]]:
    """People and garments from the tracker: id, kind, stable label (provisional or not), raw label, owner, colour."""
    items = []
    for i in range(len(tracked)):
        item: dict[str, Any] = {"kind": str(tracked.data["kind"][i]), "track_id": int(tracked.tracker_id[i]),
                                "label": tracked.data["label"][i], "box": [round(float(v), decimals) for v in tracked.xyxy[i]]}
        if item["kind"] == "garment":
            item.update(slot=str(tracked.data["slot"][i]), raw=str(tracked.data["class_name"][i]),
                        provisional=bool(tracked.data["provisional"][i]), person=int(tracked.data["person_id"][i]),
                        color=str(tracked.data["color"][i]) or None)
        items.append(item)
    return items


def group_counts(detections: sv.Detections) -> Counter[str]:
    """How many detections fall in each group."""
    return Counter(str(g) for g in detections.data.get("group", []))


def format_table(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A plain-text table with right-aligned numbers, for terminal summaries."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)
