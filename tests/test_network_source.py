"""A live network source against a real MJPEG-over-HTTP server on loopback: drop-out and return."""

from stream.pipeline import Pipeline, SourceSpec
from stream.sources import ReconnectSettings
from stream.sources.readers import open_reader_for
from tests.fakes import CountingDetector, LiveRun, pipeline_config, wait_for
from tests.mjpeg_server import MjpegCamera


def test_pipeline_survives_a_camera_drop_out_and_reconnects():
    camera = MjpegCamera().start()
    run = LiveRun(open_reader_for(camera.url, open_timeout_s=2, stall_timeout_s=1), "cam")
    try:
        assert wait_for(lambda: len(run.frames) >= 10, 20), "no frames from the camera"
        camera.stop()
        assert wait_for(lambda: run.state in ("reconnecting", "connecting"), 10)
        before = len(run.frames)
        camera.start()  # same port
        assert wait_for(lambda: len(run.frames) >= before + 10, 30), "no frames after the camera came back"
    finally:
        summary = run.finish()
        camera.stop()
    assert summary["sources"]["cam"]["reconnects"] >= 1
    assert summary["stats"]["reconnects"]["cam"] >= 1
    times = [f.pts for f in run.frames]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert summary["sources"]["cam"]["state"] == "ended"


def test_unreachable_url_fails_after_the_configured_retries():
    reader = open_reader_for("http://127.0.0.1:9/nothing.mjpg", open_timeout_s=1, stall_timeout_s=1)
    spec = SourceSpec("cam", reader, "drop_oldest", ReconnectSettings(initial_s=0.05, max_s=0.1, max_attempts=2))
    summary = Pipeline([spec], CountingDetector(), [], pipeline_config()).run()
    source = summary["sources"]["cam"]
    assert source["state"] == "failed" and source["reconnects"] == 2
    assert source["error"] == "cannot open http://127.0.0.1:9/nothing.mjpg"
