"""Tracking: people and their garments across frames, with stable labels. Works on `sv.Detections` alone."""

from stream.tracking.outfit_tracker import OutfitTracker, TrackingSettings
from stream.tracking.stabilizer import LabelStabilizer, StabilizerSettings

__all__ = ["LabelStabilizer", "OutfitTracker", "StabilizerSettings", "TrackingSettings"]
