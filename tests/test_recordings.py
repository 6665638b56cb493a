"""Recordings of live sources: wall-clock segments, frames at their time, the clock drawn on,
retention; overlays legible on small frames."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import av
import numpy as np
import pytest
import supervision as sv

from stream.frames import Frame, FrameResult
from stream.sinks.video import AnnotatedVideoSink, VideoSinkSettings

START = 1_795_000_000.0  # a wall-clock time on a segment boundary of no importance


def segment_name(offset_s: float) -> str:
    return datetime.fromtimestamp(START + offset_s, timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ".mp4"


def live_result(index: int, at: float, size_wh=(320, 240)) -> FrameResult:
    image = np.full((size_wh[1], size_wh[0], 3), 90, np.uint8)
    frame = Frame("door", index, at - START, at, image, fps=15.0, live=True)
    return FrameResult(frame, sv.Detections.empty())


def frame_times(path) -> list[float]:
    with av.open(str(path)) as container:
        return [frame.time for frame in container.decode(container.streams.video[0])]


def test_live_frames_go_to_wall_clock_segments_at_their_time(tmp_path):
    sink = AnnotatedVideoSink(tmp_path, settings=VideoSinkSettings(segment_s=10))
    # 26 s of a camera whose frames the detector kept up with unevenly: 2 a second, then a 3 s gap
    times = [START + t for t in np.arange(0, 12, 0.5)] + [START + 15 + t for t in np.arange(0, 11, 0.5)]
    for index, at in enumerate(times):
        sink.write(live_result(index, at))
    sink.close()
    segments = sorted((tmp_path / "door").glob("*.mp4"))
    assert [p.name for p in segments] == [segment_name(0), segment_name(10), segment_name(20)]  # each starts with its first frame
    assert all(re.fullmatch(r"\d{8}T\d{6}Z\.mp4", p.name) for p in segments)
    first = frame_times(segments[0])
    assert len(first) == 20 and first[-1] - first[0] == pytest.approx(9.5, abs=0.01)  # 0 .. 9.5 s
    second = frame_times(segments[1])
    assert second[1] - second[0] == pytest.approx(0.5, abs=0.01) and second[4] - second[3] == pytest.approx(3.5, abs=0.01)  # the gap is kept
    with av.open(str(segments[0])) as container:
        image = next(container.decode(container.streams.video[0])).to_ndarray(format="bgr24")
    assert (image[-18:-2, 2:100] < 40).mean() > 0.5 and image[:100, 200:].mean() == pytest.approx(90, abs=4)  # the clock, bottom left


def test_retention_keeps_the_newest_segments_within_the_size_limit(tmp_path):
    sink = AnnotatedVideoSink(tmp_path, settings=VideoSinkSettings(segment_s=5, keep_mb=0.0001))
    for index, t in enumerate(np.arange(0, 31, 1.0)):
        image_result = live_result(index, START + t)
        image_result.frame.image[:] = np.random.default_rng(index).integers(0, 255, image_result.frame.image.shape, dtype=np.uint8)
        sink.write(image_result)
    sink.close()
    left = sorted((tmp_path / "door").glob("*.mp4"))
    assert [p.name for p in left] == [segment_name(25), segment_name(30)]  # the last finished segment and the current one


def test_captions_are_legible_on_small_frames():
    from stream.annotate import MIN_SCALE, overlay_scale

    assert overlay_scale((240, 320)) == MIN_SCALE and overlay_scale((2160, 3840)) == 3.0
    assert 0.5 * MIN_SCALE >= 0.4  # cv2 font scale 0.4: capitals about 9 px high


def test_a_slow_live_source_still_gets_a_keyframe_every_two_seconds(tmp_path):
    """Crash safety is per fragment (one per keyframe): with 1 frame a second a keyframe every
    30 frames would put 30 s of recording at risk."""
    sink = AnnotatedVideoSink(tmp_path, settings=VideoSinkSettings(segment_s=60))
    for index in range(20):
        sink.write(live_result(index, START + index))
    sink.close()
    [segment] = (tmp_path / "door").glob("*.mp4")
    with av.open(str(segment)) as container:
        keys = [packet.is_keyframe for packet in container.demux(container.streams.video[0]) if packet.size]
    assert len(keys) == 20 and sum(keys) >= 9  # 0, 2, 4, ... s
