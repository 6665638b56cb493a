"""Tracking: people and their garments across frames, with stable labels. Works on `sv.Detections` alone."""

from stream.tracking.outfit_tracker import OutfitTracker
from stream.tracking.settings import StabilizerSettings, TrackingSettings
from stream.tracking.stabilizer import LabelStabilizer

__all__ = ["LabelStabilizer", "OutfitTracker", "StabilizerSettings", "TrackingSettings"]
