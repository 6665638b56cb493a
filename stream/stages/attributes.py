"""The `attributes` stage: Fashionpedia attributes of each garment (pattern, neckline, length,
sleeve, material, ...) scored zero-shot by a CLIP model (`engines.attributes`).

With tracking on it runs after the tracker and samples each garment track a few times (`samples`
crops, `every_s` apart); the shares are averaged per track, so the cost is per garment, not per
frame, and the voted attributes appear on the tracked garment, its outfit slot and the outfit
events. Without tracking, every freshly detected garment is scored."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import supervision as sv
from pydantic import Field

from engines.attributes import AttributeScorer, AttributeSettings, GarmentAttributes
from stream.frames import FrameResult
from stream.records import Attribute, LeaveEvent, OutfitStableEvent
from stream.stages import STAGES, Stage, StageSettings

Found = list[tuple[str, str, float]]  # (group, attribute, share)


class AttributeStageSettings(StageSettings, AttributeSettings):
    """`{type: attributes, model: patrickjohncyh/fashion-clip, ...}`: attributes of every garment."""

    type: Literal["attributes"] = "attributes"
    samples: int = Field(3, ge=1, le=100, description="crops scored per garment track; their shares are averaged")
    every_s: float = Field(1.0, ge=0, description="seconds between two samples of one garment track")
    forget_after_s: float = Field(30.0, gt=0, description="a garment track unseen this long is forgotten")


@dataclass
class TrackVotes:
    """The summed shares of one garment track."""

    label: str
    samples: int = 0
    scheduled: int = 0  # samples asked for (a batch of frames may ask before the first is scored)
    last_sample: float = float("-inf")
    last_seen: float = 0.0
    sums: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))

    def add(self, scored: GarmentAttributes) -> None:
        """Fold in one sample."""
        for group, ranked in scored.groups.items():
            for name, share in ranked:
                self.sums[group][name] += share
        self.samples += 1

    def voted(self, min_score: float) -> Found:
        """The leading attribute of each group by mean share, where that mean is at least `min_score`."""
        found = []
        for group, totals in self.sums.items():
            name, total = max(totals.items(), key=lambda item: item[1])
            if total / self.samples >= min_score:
                found.append((group, name, total / self.samples))
        return found


@STAGES.register(AttributeStageSettings)
class AttributeStage(Stage):
    """Adds `data["attributes"]` (list of (group, attribute, share)) to garments, and `attributes` to outfit slots."""

    name = "attributes"
    after_tracking = True

    def __init__(self, settings: AttributeStageSettings, scorer: AttributeScorer | None = None) -> None:
        self.settings = settings
        self.scorer = scorer or AttributeScorer(AttributeSettings(**settings.model_dump(include=set(AttributeSettings.model_fields))))
        self.tracks: dict[tuple[str, int], TrackVotes] = {}

    @classmethod
    def from_settings(cls, settings: AttributeStageSettings) -> AttributeStage:
        """The stage a config entry describes (loads the CLIP model)."""
        return cls(settings)

    def process(self, results: list[FrameResult]) -> None:
        """Score what is due in this batch (in shared CLIP batches), then publish the votes."""
        jobs: list[tuple[np.ndarray, np.ndarray, list[str]]] = []
        owners: list[tuple[FrameResult, list[Any]]] = []
        for result in results:
            if result.tracked is None:
                if not result.reused and len(result.detections):
                    jobs.append((result.frame.image, result.detections.xyxy, [str(n) for n in result.detections.data["class_name"]]))
                    owners.append((result, list(range(len(result.detections)))))
                continue
            due = self._due_tracks(result)
            if due and result.tracked.tracker_id is not None:
                rows = [row for row, _ in due]
                jobs.append((result.frame.image, result.tracked.xyxy[rows], [label for _, label in due]))
                owners.append((result, [(result.frame.source_id, int(result.tracked.tracker_id[row])) for row in rows]))
        scored = self.scorer.score_many(jobs) if jobs else []
        for (result, keys), per_box in zip(owners, scored):
            if result.tracked is None:
                result.detections.data["attributes"] = leading(per_box, self.settings.min_score)
            else:
                for key, garment in zip(keys, per_box):
                    self.tracks[key].add(garment)
        for result in results:
            if result.tracked is not None:
                self._publish(result)
        self._forget(results)

    def _due_tracks(self, result: FrameResult) -> list[tuple[int, str]]:
        """(row in `tracked`, label) of the garments of this frame that are due a sample."""
        tracked, due = result.tracked, list[tuple[int, str]]()
        if tracked is None or len(tracked) == 0 or tracked.tracker_id is None:
            return due
        t = result.frame.pts
        for row in np.flatnonzero(tracked.data["kind"] == "garment"):
            label = tracked.data["label"][row] or tracked.data["class_name"][row]
            key = (result.frame.source_id, int(tracked.tracker_id[row]))
            votes = self.tracks.get(key)
            if votes is None or votes.label != label:  # a new garment, or it was relabelled: start again
                votes = self.tracks[key] = TrackVotes(str(label))
            votes.last_seen = t
            if (not result.reused and votes.scheduled < self.settings.samples and t - votes.last_sample >= self.settings.every_s
                    and self.scorer.ontology.groups_for(str(label))):
                votes.scheduled += 1
                votes.last_sample = t
                due.append((int(row), str(label)))
        return due

    def amend(self, events: list[Any]) -> None:
        """The outfits of the `leave` events at the end of a run get their garments' attributes."""
        for event in events:
            if isinstance(event, LeaveEvent):
                self._fill(event.outfit, self._voted(event.source))

    def _voted(self, source: str) -> dict[int, Found]:
        """Garment track id -> its voted attributes, for one source."""
        return {key[1]: votes.voted(self.settings.min_score) for key, votes in self.tracks.items() if key[0] == source and votes.samples}

    @staticmethod
    def _fill(outfit: dict[str, Any], voted: dict[int, Found]) -> None:
        for slot in outfit.values():
            slot.attributes = [Attribute(group=g, label=n, score=round(p, 4)) for g, n, p in voted.get(slot.garment, [])]

    def _publish(self, result: FrameResult) -> None:
        tracked = result.tracked
        voted = self._voted(result.frame.source_id)
        if tracked is not None and len(tracked) and tracked.tracker_id is not None:
            column = np.empty(len(tracked), dtype=object)
            column[:] = [voted.get(int(tid)) if kind == "garment" else None for tid, kind in zip(tracked.tracker_id, tracked.data["kind"])]
            tracked.data["attributes"] = column
        outfits = [*result.outfits.values(), *(e.outfit for e in result.events if isinstance(e, (OutfitStableEvent, LeaveEvent)))]
        for slots in outfits:
            self._fill(slots, voted)

    def _forget(self, results: list[FrameResult]) -> None:
        latest: dict[str, float] = {}
        for result in results:
            latest[result.frame.source_id] = result.frame.pts
        for key in [k for k, v in self.tracks.items() if k[0] in latest and latest[k[0]] - v.last_seen > self.settings.forget_after_s]:
            del self.tracks[key]


def detections_with_attributes(scorer: AttributeScorer, image: np.ndarray, detections: sv.Detections, min_score: float) -> sv.Detections:
    """`detections` with `data["attributes"]`: the leading attribute of each group, where its share is at least `min_score`."""
    if len(detections):
        detections.data["attributes"] = leading(scorer.score(image, detections.xyxy, [str(n) for n in detections.data["class_name"]]), min_score)
    return detections


def leading(per_box: list[GarmentAttributes], min_score: float) -> np.ndarray:
    """A `data["attributes"]` column: for each box, (group, attribute, share) of each group's leader at `min_score` or more."""
    column = np.empty(len(per_box), dtype=object)
    column[:] = [[(g, n, p) for g, (n, p) in scored.best(min_score).items()] for scored in per_box]
    return column
