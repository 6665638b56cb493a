"""Tracking settings: the `tracking:` section of a run config, and what the tracker itself takes."""

from __future__ import annotations

from pydantic import Field

from engines.settings import StrictModel


class StabilizerSettings(StrictModel):
    """How a garment track's label is stabilized (hysteresis over the raw per-frame labels)."""

    alpha: float = Field(0.25, gt=0, le=1, description="weight of each observation in the evidence average")
    lock_share: float = Field(0.6, gt=0, le=1, description="evidence share a label needs to lock")
    min_observations: int = Field(3, ge=1, description="observations before a first lock")
    switch_margin: float = Field(0.2, ge=0, lt=1, description="lead a challenger needs over the locked label")
    switch_updates: int = Field(5, ge=1, description="consecutive updates the challenger must lead (K)")


class TrackingSettings(StrictModel):
    """People and their outfits across frames (times in seconds of presentation time)."""

    enabled: bool = Field(True, description="track people and outfits (off: detections only)")
    person_model: str | None = Field(None, description="checkpoint with a 'person' label (e.g. hustvl/yolos-tiny); none: people from garments")
    person_threshold: float = Field(0.5, ge=0, lt=1, description="score a person model's box needs")
    stabilizer: StabilizerSettings = Field(default_factory=StabilizerSettings)
    frame_rate: float = Field(25.0, gt=0, description="frame rate assumed when a source reports none")
    lost_track_buffer: int = Field(30, ge=1, description="frames (at frame_rate) a lost track is kept for re-finding")
    activation_threshold: float = Field(0.3, ge=0, lt=1, description="detections above this start tracks")
    high_confidence: float = Field(0.5, ge=0, lt=1, description="ByteTrack's first association stage")
    min_iou: float = Field(0.1, ge=0, lt=1, description="least IoU to match a detection to a track")
    owner_ioa: float = Field(0.5, gt=0, le=1, description="share of a garment's box inside a person's box to vote for that person")
    part_ioa: float = Field(0.6, gt=0, le=1, description="share of a part's box inside a garment's box to attach to it")
    attribute_min_count: int = Field(3, ge=1, description="sightings before a part or colour becomes a garment's attribute")
    slot_miss_limit: int = Field(8, ge=1, description="detector runs in a row that see the person but not the garment: taken off")
    relink_s: float = Field(3.0, ge=0, description="a new track in the same slot of the same person within this inherits the label")
    leave_after_s: float = Field(2.0, gt=0, description="a person unseen this long has left")
