"""A live RTSP camera (GStreamer's RTSP server on loopback): drop-out, stall, and return."""

import os
import signal
import threading

import pytest

from stream.pipeline import Pipeline, PipelineSettings, SourceSpec
from stream.sources import ReconnectPolicy
from stream.sources.readers import open_reader_for
from tests.fakes import CollectingSink, CountingDetector, wait_for
from tests.rtsp_server import RtspCamera, unavailable_reason

_reason = unavailable_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


def _start_pipeline(camera):
    reader = open_reader_for(camera.url, open_timeout_s=3, read_timeout_s=1.5)
    sink = CollectingSink()
    spec = SourceSpec("door", reader, "drop_oldest", ReconnectPolicy(initial_s=0.2, max_s=1.0, max_attempts=None))
    pipeline = Pipeline([spec], CountingDetector(), [(sink, False)], PipelineSettings(queue_size=4, show_progress=False))
    result = {}
    thread = threading.Thread(target=lambda: result.update(summary=pipeline.run()))
    thread.start()
    return pipeline, sink, thread, result


def _check_summary(summary, sink):
    assert summary["sources"]["door"]["reconnects"] >= 1
    assert summary["stats"]["reconnects"]["door"] >= 1
    assert summary["sources"]["door"]["state"] == "ended"
    times = [f.pts for f in sink.frames]
    assert all(b > a for a, b in zip(times, times[1:])), "presentation times must stay increasing across the reconnect"
    indexes = [f.index for f in sink.frames]
    assert indexes == sorted(set(indexes))


def test_pipeline_reconnects_when_the_rtsp_server_goes_away_and_returns():
    camera = RtspCamera().start()
    pipeline, sink, thread, result = _start_pipeline(camera)
    try:
        assert wait_for(lambda: len(sink.frames) >= 10, 30), "no frames from the RTSP camera"
        camera.stop()
        assert wait_for(lambda: pipeline.runners[0].state.value in ("reconnecting", "connecting"), 15)
        before = len(sink.frames)
        camera.start()  # same port, as a camera coming back after a power cut
        assert wait_for(lambda: len(sink.frames) >= before + 10, 40), "no frames after the server came back"
        assert pipeline.runners[0].state.value == "streaming"
    finally:
        pipeline.stop()
        thread.join(30)
        camera.stop()
    _check_summary(result["summary"], sink)


def test_a_stalled_rtsp_stream_is_treated_as_lost_and_reconnected():
    """The server stays up with the connection open but sends nothing (SIGSTOP): the read timeout turns that into a loss."""
    camera = RtspCamera().start()
    pipeline, sink, thread, result = _start_pipeline(camera)
    try:
        assert wait_for(lambda: len(sink.frames) >= 10, 30), "no frames from the RTSP camera"
        os.kill(camera.process.pid, signal.SIGSTOP)
        assert wait_for(lambda: pipeline.runners[0].state.value in ("reconnecting", "connecting"), 15), "the stall was not noticed"
        before = len(sink.frames)
        os.kill(camera.process.pid, signal.SIGCONT)
        assert wait_for(lambda: len(sink.frames) >= before + 10, 40), "no frames after the stall ended"
    finally:
        pipeline.stop()
        thread.join(30)
        if camera.process is not None:
            os.kill(camera.process.pid, signal.SIGCONT)
        camera.stop()
    _check_summary(result["summary"], sink)
