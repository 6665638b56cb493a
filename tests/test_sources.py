import time

import cv2
import numpy as np
import pytest

from stream.frame_queue import FrameQueue
from stream.sources import ReconnectSettings, SourceRunner, SourceState
from stream.sources.readers import ImageFolderReader, ReaderError, VideoFileReader, open_reader_for
from tests.fakes import ScriptedReader
from tests.media import write_video

FAST_RETRY = ReconnectSettings(initial_s=0.01, max_s=0.05, jitter=0.5, max_attempts=5)


def _drain(queue, runner, timeout=5.0):
    frames, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline and not (runner.finished and len(queue) == 0):
        frames += queue.get_batch(16, 0, idle_timeout_s=0.01)
    return frames


def test_live_source_reconnects_after_losses_and_open_failures():
    # open ok (5 frames, lost), open fails twice, open ok (5 frames, lost), then fails for good
    reader = ScriptedReader(opens=[True, False, False, True], frames_per_session=5)
    queue = FrameQueue(100)
    runner = SourceRunner("cam", reader, queue, "drop_oldest", FAST_RETRY).start()
    frames = _drain(queue, runner)
    runner.join(2)
    assert len(frames) == 10
    assert runner.state == SourceState.FAILED and "connection refused" in runner.error
    # the second session was too short to count as a recovery: 5 failed tries in a row in all
    assert runner.reconnects == 5 and runner.outages == 2
    assert [f.index for f in frames] == list(range(10))
    assert all(b.pts > a.pts for a, b in zip(frames, frames[1:]))


def test_a_stream_that_connects_and_drops_at_once_uses_up_its_attempts():
    """Regression: only failed opens were counted, so a stream that opened and dropped at once
    (an MP4 served over HTTP taken for a camera) was retried forever."""
    reader = ScriptedReader(opens=[True] * 1000, frames_per_session=1)
    queue = FrameQueue(100)
    runner = SourceRunner("cam", reader, queue, "drop_oldest", FAST_RETRY).start()
    _drain(queue, runner)
    runner.join(2)
    assert runner.state == SourceState.FAILED and reader.open_calls == 6 and runner.outages == 6


def test_a_connection_that_streamed_long_enough_counts_as_recovered():
    reader = ScriptedReader(opens=[True, False, False, True, False, False, False], frames_per_session=5)
    policy = ReconnectSettings(initial_s=0.01, max_s=0.05, jitter=0.5, max_attempts=3, stable_s=0.0)
    queue = FrameQueue(100)
    runner = SourceRunner("cam", reader, queue, "drop_oldest", policy).start()
    frames = _drain(queue, runner)
    runner.join(2)
    assert len(frames) == 10 and runner.state == SourceState.FAILED
    assert runner.reconnects == 3 + 3  # the count starts again after each stable session: 3 tries, then 3 more


def test_never_give_up_keeps_trying_until_stopped():
    reader = ScriptedReader(opens=[False] * 1000, frames_per_session=0)
    runner = SourceRunner("cam", reader, FrameQueue(4), "drop_oldest",
                          ReconnectSettings(initial_s=0.001, max_s=0.002, max_attempts=None)).start()
    time.sleep(0.3)
    assert runner.state in (SourceState.RECONNECTING, SourceState.CONNECTING) and reader.open_calls > 5
    runner.stop()
    runner.join(2)
    assert runner.state == SourceState.ENDED


def test_backoff_grows_exponentially_with_bounded_jitter():
    import random

    policy = ReconnectSettings(initial_s=1, max_s=8, jitter=0.25)
    rng = random.Random(0)
    for attempt, base in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        delays = [policy.delay(attempt, rng) for _ in range(50)]
        assert base * 0.75 <= min(delays) and max(delays) <= base * 1.25
        assert max(delays) - min(delays) > 0


def test_backwards_and_reset_timestamps_are_made_monotonic():
    reader = ScriptedReader(opens=[True], frames_per_session=6, live=False, pts=[0.0, 0.1, 0.2, 0.05, 0.0, 0.3])
    queue = FrameQueue(10)
    runner = SourceRunner("file", reader, queue, "block").start()
    frames = _drain(queue, runner)
    pts = [f.pts for f in frames]
    assert all(b > a for a, b in zip(pts, pts[1:])), pts
    # after the reset at 0.05 the file's own spacing is kept: 0.0 -> 0.3 stays 0.3 apart
    assert pts[-1] - pts[-2] == pytest.approx(0.3)
    assert runner.pts_corrections == 2 and runner.state == SourceState.ENDED


def test_file_source_does_not_retry(tmp_path):
    reader = ScriptedReader(opens=[False], frames_per_session=3, live=False)
    runner = SourceRunner("file", reader, FrameQueue(4), "block", FAST_RETRY).start()
    runner.join(2)
    assert runner.state == SourceState.FAILED and reader.open_calls == 1


def test_video_reader_gives_every_frame_with_file_timestamps(tmp_path):
    reader = VideoFileReader(write_video(tmp_path / "v.mp4", frames=25, size=(96, 64)))
    reader.open()
    items = []
    while (item := reader.read()) is not None:
        items.append(item)
    reader.close()
    assert len(items) == 25 == reader.frame_count and reader.fps == 10
    assert [round(pts, 3) for _, pts in items[:3]] == [0.0, 0.1, 0.2]


def test_bad_sources_fail_with_one_line_reasons(tmp_path):
    with pytest.raises(ReaderError, match="video not found"):
        VideoFileReader(tmp_path / "missing.mp4").open()
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(ReaderError, match="not a readable video"):
        VideoFileReader(tmp_path / "notes.mp4").open()
    with pytest.raises(ReaderError, match="webcam 57 not found"):
        open_reader_for("57").open()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReaderError, match="no images in"):
        ImageFolderReader(tmp_path / "empty").open()


def test_image_folder_is_sorted_paced_and_skips_bad_images(tmp_path):
    for name in ["b.png", "a.png", "c.png"]:
        cv2.imwrite(str(tmp_path / name), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "bad.png").write_text("broken")
    reader = open_reader_for(str(tmp_path), fps=4)
    reader.open()
    items = []
    while (item := reader.read()) is not None:
        items.append(item)
    assert [pts for _, pts in items] == [0.0, 0.25, 0.75]  # the bad image keeps its time slot
    assert reader.skipped == 1 and reader.skipped_images == ["bad.png"]


def test_readers_never_change_the_process_environment(monkeypatch):
    """Regression: OPENCV_FFMPEG_CAPTURE_OPTIONS was set from reader threads; it is now set once,
    when a pipeline starts, and a value the user set is kept."""
    import os
    import threading

    from stream.sources.capture import configure_ffmpeg_capture

    monkeypatch.delenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", raising=False)
    before = dict(os.environ)
    reader = open_reader_for("rtsp://127.0.0.1:9/cam", open_timeout_s=0.5, stall_timeout_s=0.5)
    thread = threading.Thread(target=lambda: pytest.raises(ReaderError, reader.open))
    thread.start()
    thread.join(10)
    assert dict(os.environ) == before
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;udp")
    configure_ffmpeg_capture()
    assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == "rtsp_transport;udp"


@pytest.mark.parametrize("uri, shown, source_id", [
    ("rtsp://admin:pa%40ss:w0rd@10.0.0.7:554/Streaming/101?channel=1", "rtsp://admin:***@10.0.0.7:554/Streaming/101?channel=1",
     "10.0.0.7_554_Streaming_101"),
    ("http://cam.local/video.mjpg?user=bob&pwd=hunter2&fps=10", "http://cam.local/video.mjpg?user=bob&pwd=***&fps=10", "cam.local_video.mjpg"),
    ("rtsp://viewer@[fe80::1]:8554/live", "rtsp://viewer@[fe80::1]:8554/live", "fe80_1_8554_live"),
    ("videos/front door.mp4", "videos/front door.mp4", "front_door"),
    ("0", "0", "webcam0"),
])
def test_uris_are_shown_and_named_without_their_secrets(uri, shown, source_id):
    from stream.sources.uri import default_source_id, redact

    assert redact(uri) == shown
    assert default_source_id(uri, 3) == source_id
