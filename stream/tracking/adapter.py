"""The one place that knows Roboflow `trackers`' classes and internals.

The outfit tracker builds motion trackers, updates them with timestamps, and asks them for the
boxes their Kalman filters predict between detector runs. Those calls reach into the library's
tracklets (`tracks`, `tracker_id`, `time_since_update`, `state_estimator.get_state/set_state/
predict/state_to_bbox`) and into its units (`lost_track_buffer` is counted in 30 fps frames and
turned into seconds as `lost_track_buffer / 30`). `tests/test_tracking_adapter.py` checks that
contract against the installed version; pyproject pins the range it was checked on.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import supervision as sv
import trackers

from stream.detections import select, track_ids

MotionTracker = Literal["botsort", "bytetrack", "ocsort", "sort"]
TRACKER_FPS_UNIT = 30.0  # trackers counts lost_track_buffer in frames at 30 fps


def make_tracker(kind: MotionTracker, lost_track_s: float, frame_rate: float, activation_threshold: float,
                 high_confidence: float, min_iou: float, camera_motion: bool = False) -> Any:
    """A motion tracker of `trackers`, its lost-track buffer given in seconds.

    Args:
        kind: which tracker: BoT-SORT (default for people: best IDF1 on TUD), ByteTrack, OC-SORT or SORT.
        lost_track_s: how long a track that is not matched is kept for re-finding.
        frame_rate: the source's frame rate (used when frames come without timestamps).
        activation_threshold: score a detection needs to start a track.
        high_confidence: ByteTrack/BoT-SORT's first association stage.
        min_iou: least IoU to match a detection to a track.
        camera_motion: BoT-SORT only: compensate camera motion (needs the frame on each update).

    Returns:
        The tracker.
    """
    buffer = max(1, round(lost_track_s * TRACKER_FPS_UNIT))
    if kind == "botsort":
        return trackers.BoTSORTTracker(lost_track_buffer=buffer, frame_rate=frame_rate, track_activation_threshold=activation_threshold,
                                       high_conf_det_threshold=high_confidence,
                                       enable_cmc=camera_motion)
    if kind == "bytetrack":
        return trackers.ByteTrackTracker(lost_track_buffer=buffer, frame_rate=frame_rate, track_activation_threshold=activation_threshold,
                                         high_conf_det_threshold=high_confidence, minimum_iou_threshold=min_iou)
    if kind == "ocsort":
        return trackers.OCSORTTracker(lost_track_buffer=buffer, frame_rate=frame_rate, high_conf_det_threshold=high_confidence,
                                      minimum_iou_threshold=min_iou)
    return trackers.SORTTracker(lost_track_buffer=buffer, frame_rate=frame_rate, track_activation_threshold=activation_threshold,
                                minimum_iou_threshold=min_iou)


def update(tracker: Any, detections: sv.Detections, t: float, frame: np.ndarray | None = None) -> sv.Detections:
    """Feed one frame's detections at time `t`; the confirmed tracks (unconfirmed ones have id -1).

    Args:
        tracker: a tracker from `make_tracker`.
        detections: this frame's boxes (any number, also none).
        t: the frame's presentation time in seconds.
        frame: the image, for camera-motion compensation (ignored by trackers without it).

    Returns:
        The tracked boxes with their `tracker_id`.
    """
    if len(detections) == 0:
        detections = sv.Detections.empty()
    tracked = tracker.update(detections, frame=frame, timestamp=t) if frame is not None else tracker.update(detections, timestamp=t)
    return select(tracked, track_ids(tracked) >= 0) if len(tracked) else tracked


def live_ids(tracker: Any) -> set[int]:
    """Ids of the confirmed tracks the tracker still holds (matched now, or lost but kept)."""
    return {int(track.tracker_id) for track in tracker.tracks if track.tracker_id >= 0}


def held(tracker: Any) -> sv.Detections:
    """The confirmed tracks that were not matched in the last update but are still kept (a person
    the detector missed for a moment), at their Kalman filters' boxes for that update's time."""
    lost = [track for track in tracker.tracks if track.tracker_id >= 0 and track.time_since_update > 0]
    if not lost:
        return sv.Detections.empty()
    return sv.Detections(xyxy=np.array([track.state_estimator.state_to_bbox() for track in lost], dtype=np.float32),
                         confidence=np.zeros(len(lost), dtype=np.float32), tracker_id=np.array([track.tracker_id for track in lost], dtype=int))


def predicted(tracker: Any, seconds_ahead: float, frame_rate: float) -> sv.Detections:
    """The boxes of the tracks matched at the last update, `seconds_ahead` later by their Kalman
    filters, leaving the tracker as it was (feeding it empty frames would reset the consecutive-
    match counts that confirm tracks).

    Returns:
        Boxes with `tracker_id` and confidence 1.
    """
    live = [track for track in tracker.tracks if track.tracker_id >= 0 and track.time_since_update == 0]
    if not live:
        return sv.Detections.empty()
    boxes = []
    for track in live:
        estimator = track.state_estimator
        saved = estimator.get_state()
        estimator.predict(seconds_ahead * frame_rate, frame_rate)
        boxes.append(estimator.state_to_bbox().copy())
        estimator.set_state(saved)
    return sv.Detections(xyxy=np.array(boxes, dtype=np.float32), confidence=np.ones(len(live), dtype=np.float32),
                         tracker_id=np.array([track.tracker_id for track in live], dtype=int))
