"""A live RTSP camera (GStreamer's RTSP server on loopback): drop-out, stall, and return."""

import os
import signal

import pytest

from stream.sources.readers import open_reader_for
from tests.fakes import LiveRun, wait_for
from tests.rtsp_server import RtspCamera, unavailable_reason

_reason = unavailable_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


def _start(camera):
    return LiveRun(open_reader_for(camera.url, open_timeout_s=3, stall_timeout_s=1.5), "door")


def _check_summary(summary, run):
    assert summary["sources"]["door"]["reconnects"] >= 1
    assert summary["stats"]["reconnects"]["door"] >= 1
    assert summary["sources"]["door"]["state"] == "ended"
    times = [f.pts for f in run.frames]
    assert all(b > a for a, b in zip(times, times[1:])), "presentation times must stay increasing across the reconnect"
    indexes = [f.index for f in run.frames]
    assert indexes == sorted(set(indexes))


def test_pipeline_reconnects_when_the_rtsp_server_goes_away_and_returns():
    camera = RtspCamera().start()
    run = _start(camera)
    try:
        assert wait_for(lambda: len(run.frames) >= 10, 30), "no frames from the RTSP camera"
        camera.stop()
        assert wait_for(lambda: run.state in ("reconnecting", "connecting"), 15)
        before = len(run.frames)
        camera.start()  # same port, as a camera coming back after a power cut
        assert wait_for(lambda: len(run.frames) >= before + 10, 40), "no frames after the server came back"
        assert run.state == "streaming"
    finally:
        summary = run.finish()
        camera.stop()
    _check_summary(summary, run)


def test_a_stalled_rtsp_stream_is_treated_as_lost_and_reconnected():
    """The server stays up with the connection open but sends nothing (SIGSTOP): the read timeout turns that into a loss."""
    camera = RtspCamera().start()
    run = _start(camera)
    try:
        assert wait_for(lambda: len(run.frames) >= 10, 30), "no frames from the RTSP camera"
        os.kill(camera.process.pid, signal.SIGSTOP)
        assert wait_for(lambda: run.state in ("reconnecting", "connecting"), 15), "the stall was not noticed"
        before = len(run.frames)
        os.kill(camera.process.pid, signal.SIGCONT)
        assert wait_for(lambda: len(run.frames) >= before + 10, 40), "no frames after the stall ended"
    finally:
        summary = run.finish()
        if camera.process is not None:
            os.kill(camera.process.pid, signal.SIGCONT)
        camera.stop()
    _check_summary(summary, run)
