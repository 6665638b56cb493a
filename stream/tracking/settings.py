"""Tracking settings: the `tracking:` section of a run config, and what the tracker itself takes.

Every duration is in seconds of presentation time, so the tracker behaves the same at 5, 10,
25 or 30 fps and with any `detect_every` (evidence is weighed by the time it covers, not by
how many detector runs saw it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engines.settings import StrictModel

PERSON_MODEL_LOST_S = 2.5  # a person model's boxes are reliable: wait through a 2 s occlusion
GARMENT_BOXES_LOST_S = 1.5  # boxes built from garments: 2 s re-finds the wrong people (overtaking), 1 s loses people emerging from a crowd


class StabilizerSettings(StrictModel):
    """How a garment track's label is stabilized: evidence over time, a lock, and hysteresis."""

    half_life_s: float = Field(0.75, gt=0, description="evidence for a label halves after this long without it")
    lock_share: float = Field(0.6, gt=0.5, le=1, description="evidence share a label needs to lock")
    lock_s: float = Field(2.0, ge=0, description="how long a garment is seen before its label first locks (holding lock_share recently and over all that time)")
    switch_margin: float = Field(0.2, ge=0, lt=1, description="lead in evidence share a challenger needs over the locked label "
                                 "while the garment keeps its colour (in another colour, leading is enough)")
    switch_s: float = Field(0.25, ge=0, description="how long a challenger must keep that lead to take over, when the garment's colour changed too")
    same_color_switch_s: float = Field(3.0, ge=0, description="the same when the colour did not change (a look-alike confusion keeps "
                                       "the colour; taking a cardigan off shows another one)")


class TrackingSettings(StrictModel):
    """People and their outfits across frames."""

    enabled: bool = Field(True, description="track people and outfits (off: detections only)")
    person_model: str | None = Field(None, description="checkpoint with a 'person' label (e.g. hustvl/yolos-tiny); none: people from garments")
    person_threshold: float = Field(0.5, ge=0, lt=1, description="score a person model's box needs")
    person_tracker: Literal["botsort", "bytetrack", "ocsort", "sort"] = Field(
        "botsort", description="motion tracker for people (BoT-SORT: best IDF1 on TUD-Campus/Stadtmitte)")
    camera_motion: bool = Field(False, description="compensate camera motion (BoT-SORT, from the frames; for moving cameras)")
    stabilizer: StabilizerSettings = Field(default_factory=StabilizerSettings)
    frame_rate: float = Field(25.0, gt=0, description="frame rate assumed when a source reports none")
    lost_track_s: float | None = Field(None, gt=0, description="how long a lost person or garment track is kept for re-finding; "
                                       "none: 2.5 s with a person model's boxes (one id through a 2 s occlusion), "
                                       "1.5 s with boxes built from the garments (2 s re-finds the wrong people after an overtaking)")
    activation_threshold: float = Field(0.3, ge=0, lt=1, description="detections above this start tracks")
    high_confidence: float = Field(0.5, ge=0, lt=1, description="first association stage of ByteTrack and BoT-SORT")
    min_iou: float = Field(0.1, ge=0, lt=1, description="least IoU to match a detection to a track")
    owner_ioa: float = Field(0.5, gt=0, le=1, description="share of a garment's box inside a person's box to vote for that person")
    part_ioa: float = Field(0.6, gt=0, le=1, description="share of a part's box inside a garment's box to attach to it")
    attribute_min_count: int = Field(3, ge=1, description="sightings before a part or colour becomes a garment's attribute")
    off_s: float = Field(1.2, gt=0, description="a jacket, hat or accessory unseen this long while its person is seen "
                         "(and not hidden) was taken off; a locked shirt, pants, dress or shoes are never taken off")
    hidden_ioa: float = Field(0.5, gt=0, le=1, description="a garment this much covered by a nearer person (feet lower) is hidden, not missing")
    reidentify: bool = Field(True, description="a person found again after a short loss keeps their id when the outfit matches")
    leave_after_s: float = Field(3.0, gt=0, description="a person unseen this long has left")
    forget_s: float = Field(5.0, gt=0, description="a garment unseen this long is forgotten (bounded state: racks, mannequins)")

    def lost_track_for(self, person_model: bool) -> float:
        """How long lost tracks are kept: `lost_track_s`, or its default for the kind of person boxes.

        Args:
            person_model: True when a person model gives the boxes, False when they are built from garments.

        Returns:
            Seconds, never above `leave_after_s`.
        """
        if self.lost_track_s is not None:
            return self.lost_track_s
        return min(PERSON_MODEL_LOST_S if person_model else GARMENT_BOXES_LOST_S, self.leave_after_s)

    @model_validator(mode="after")
    def _consistent(self) -> TrackingSettings:
        if self.lost_track_s is not None and self.lost_track_s > self.leave_after_s:
            raise ValueError(f"lost_track_s ({self.lost_track_s}) must not exceed leave_after_s ({self.leave_after_s}): "
                             "a person would leave while their track is still kept, then appear again")
        if self.off_s >= self.forget_s:
            raise ValueError(f"off_s ({self.off_s}) must be below forget_s ({self.forget_s}): a garment would be forgotten "
                             "before it could be seen as taken off")
        return self
