"""The MOTChallenge evaluation: reading the format, and scoring the person tracker against ground truth."""

import numpy as np
import pytest

from stream.tracking import TrackingSettings
from tools.eval_mot import MotDataError, evaluate, read_mot, sequence_files, track_sequence
from tools.eval_tracking import identity_scores


def _write_sequence(folder, frames=60, miss_every=7, seed=0):
    """Two people crossing the frame in opposite directions; detections jittered, some missed, one false alarm."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    gt, det = [], []
    for frame in range(1, frames + 1):
        for pid, (x, y) in ((1, (20 + 6 * frame, 100)), (2, (400 - 6 * frame, 130))):
            gt.append(f"{frame},{pid},{x},{y},50,120,1,1,1")
            if (frame + pid) % miss_every:
                jitter = rng.normal(0, 1.5, 4)
                det.append(f"{frame},-1,{x + jitter[0]:.2f},{y + jitter[1]:.2f},{50 + jitter[2]:.2f},{120 + jitter[3]:.2f},0.9,-1,-1,-1")
        gt.append(f"{frame},3,500,20,30,30,0,1,1")  # a row the benchmark does not score
    det.append("30,-1,600,300,40,40,0.35,-1,-1,-1")
    (folder / "gt.txt").write_text("\n".join(gt) + "\n")
    (folder / "det.txt").write_text("\n".join(det) + "\n")
    return folder


def test_rows_become_corner_boxes_per_frame_and_unscored_rows_are_dropped(tmp_path):
    folder = _write_sequence(tmp_path / "seq")
    gt = read_mot(folder / "gt.txt", scored_only=True)
    assert sorted(gt) == list(range(1, 61)) and len(gt[1]) == 2
    np.testing.assert_allclose(gt[1][0], [1, 26, 100, 76, 220, 1])
    detections = read_mot(folder / "det.txt")
    assert len(detections[30]) == 3 and detections[30][-1, 5] == pytest.approx(0.35)


def test_person_tracker_follows_two_crossing_people_without_swapping(tmp_path):
    folder = _write_sequence(tmp_path / "seq")
    gt_path, det_path = sequence_files(folder)
    result = track_sequence(read_mot(gt_path, scored_only=True), read_mot(det_path), TrackingSettings(frame_rate=25))
    metrics = identity_scores(*result["ours"])
    # misses (1 in 7) and the frames before a track is confirmed cost MOTA; a bad box conversion would sink it
    assert metrics["IDSW"] == 0 and metrics["IDF1"] > 0.9 and metrics["MOTA"] > 0.8
    rows = evaluate(folder, 25)
    assert [row[4] for row in rows] == ["outfit tracker", "ByteTrack alone"] and rows[0][1:3] == [60, 2]


def test_a_folder_without_ground_truth_is_named_in_the_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MotDataError, match="empty: no gt.txt"):
        sequence_files(tmp_path / "empty")
    with pytest.raises(MotDataError, match="sequence folder not found"):
        sequence_files(tmp_path / "missing")
