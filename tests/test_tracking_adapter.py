"""The contract between the outfit tracker and Roboflow `trackers`: the classes, tracklet
internals and units that stream/tracking/adapter.py relies on, checked on the installed version."""

from importlib.metadata import version

import numpy as np
import pytest
import supervision as sv

from stream.tracking import adapter


def _box(x):
    return sv.Detections(xyxy=np.array([[x, 100, x + 80, 300]], dtype=np.float32), confidence=np.array([0.9], dtype=np.float32),
                         class_id=np.array([0]))


def test_the_installed_version_is_in_the_pinned_range():
    major, minor, *_ = (int(part) for part in version("trackers").split(".")[:3])
    assert (major, minor) == (2, 6), "stream/tracking/adapter.py was checked against trackers 2.6: check it again and move the pin"


@pytest.mark.parametrize("kind", ["botsort", "bytetrack", "ocsort", "sort"])
def test_every_tracker_confirms_follows_and_predicts(kind):
    tracker = adapter.make_tracker(kind, lost_track_s=1.0, frame_rate=25, activation_threshold=0.3, high_confidence=0.5, min_iou=0.1)
    ids = set()
    for f in range(8):
        ids |= set(adapter.update(tracker, _box(100 + 4 * f), f / 25).tracker_id.tolist())
    assert len(ids) == 1 and adapter.live_ids(tracker) == ids
    before = [track.state_estimator.state_to_bbox().copy() for track in tracker.tracks]
    ahead = adapter.predicted(tracker, seconds_ahead=0.2, frame_rate=25)
    assert len(ahead) == 1 and ahead.xyxy[0, 0] > 100 + 4 * 7 + 10  # carried on by its velocity
    after = [track.state_estimator.state_to_bbox() for track in tracker.tracks]
    assert all(np.array_equal(a, b) for a, b in zip(before, after)), "predicting must leave the tracker as it was"


def test_a_missed_track_is_held_and_the_lost_buffer_is_in_seconds():
    tracker = adapter.make_tracker("botsort", lost_track_s=0.5, frame_rate=10, activation_threshold=0.3, high_confidence=0.5, min_iou=0.1)
    assert tracker.maximum_time_without_update == pytest.approx(0.5)  # trackers counts the buffer in 30 fps frames
    for f in range(5):
        adapter.update(tracker, _box(100), f / 10)
    adapter.update(tracker, sv.Detections.empty(), 0.5)
    held = adapter.held(tracker)
    assert len(held) == 1 and held.confidence[0] == 0
    for f in range(6, 14):
        adapter.update(tracker, sv.Detections.empty(), f / 10)
    assert adapter.live_ids(tracker) == set()  # gone after 0.5 s without a match
