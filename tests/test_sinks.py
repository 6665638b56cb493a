"""Sinks draw what the pipeline decided: with tracking on, people and outfits, in every image sink."""

import cv2
import numpy as np
import supervision as sv

from stream.frames import Frame, FrameResult
from stream.sinks import FramesFolderSink


def _tracked_person(box):
    return sv.Detections(xyxy=np.array([box], dtype=np.float32), confidence=np.array([0.9], dtype=np.float32),
                         class_id=np.array([0]), tracker_id=np.array([3]),
                         data={key: np.array([value], dtype=object) for key, value in
                               dict(kind="person", label="person", class_name="person", slot="", provisional=False,
                                    person_id=3, color="", outfit="blue jacket").items()})


def test_frames_sink_draws_tracked_people_not_only_raw_detections(tmp_path):
    frame = Frame("cam", 0, 0.0, 0.0, np.zeros((200, 300, 3), np.uint8))
    result = FrameResult(frame, sv.Detections.empty(), tracked=_tracked_person([50, 40, 250, 190]))
    sink = FramesFolderSink(tmp_path)
    sink.write(result)
    sink.close()
    saved = cv2.imread(str(tmp_path / "cam" / "000000.jpg"))
    assert saved[115, 50:53].max() > 100  # the person's box edge is drawn on the black frame
    assert saved[100:180, 100:200].max() < 40  # and the inside is left alone
