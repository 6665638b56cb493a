"""`run --serve`: the live page in a real headless Chromium, /status.json, /healthz, /metrics, MJPEG,
and a port that cannot be served."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stream.errors import StreamError
from stream.pipeline import Pipeline, SourceSpec
from tests.browser import Browser, chromium_path
from tests.fakes import ScriptedReader, pipeline_config, wait_for
from tools.walking_scene import WalkingScene

# one person from the start, a second one after 3 s; 20 frames a second for 12 s
SCENE = [(0, 240, 100, 0, 2.0), (60, 240, 120, 600, -2.0)]


def paced_run(scene: WalkingScene, serve: str = "127.0.0.1:0", pace_s: float = 0.05) -> Pipeline:
    pipeline = Pipeline([SourceSpec("shopfloor", scene.reader(pace_s=pace_s))], scene.garment_detector(), [], pipeline_config(tracking=True, serve=serve),
                        person_detector=scene.person_detector())
    pipeline.start()
    assert wait_for(lambda: pipeline.monitor is not None, 10)
    return pipeline


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


@pytest.mark.skipif(chromium_path() is None, reason="chromium not installed (Debian: chromium; .ci/run installs it)")
def test_live_page_in_chromium_shows_the_stream_and_the_people(tmp_path):
    pipeline = paced_run(WalkingScene(SCENE, 240, fps=20.0))
    browser = Browser()
    try:
        assert pipeline.monitor is not None
        browser.open(pipeline.monitor.url)
        snapshot = """(async () => {
            const img = document.querySelector('#source-shopfloor img');
            if (!img || !img.naturalWidth) return null;
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            canvas.getContext('2d').drawImage(img, 0, 0);
            return {image: canvas.toDataURL('image/png'), size: [img.naturalWidth, img.naturalHeight],
                    state: document.querySelector('#source-shopfloor .state').textContent,
                    people: [...document.querySelectorAll('#source-shopfloor .people li')].map(li => li.textContent),
                    health: document.getElementById('health').textContent};
        })()"""
        assert wait_for(lambda: (browser.evaluate(snapshot) or {}).get("people"), 20)
        first = browser.evaluate(snapshot)
        time.sleep(4)  # the second person walks in
        second = browser.evaluate(snapshot)
        shot = browser.screenshot(Path(os.environ.get("FS_SCREENSHOT_DIR", tmp_path)) / "live_page.png")
    finally:
        browser.close()
        pipeline.stop()
        pipeline.join(30)
    assert first["size"] == [640, 360] and first["state"] == "streaming" and "healthy" in first["health"]
    assert first["image"] != second["image"]  # the stream's picture changes over time
    assert len(first["people"]) == 1 and len(second["people"]) == 2, (first["people"], second["people"])
    assert "upper: top, t-shirt, sweatshirt" in second["people"][0]
    assert shot.stat().st_size > 20_000


def test_status_health_metrics_and_mjpeg():
    pipeline = paced_run(WalkingScene(SCENE, 120, fps=20.0))
    try:
        assert pipeline.monitor is not None
        url = pipeline.monitor.url
        time.sleep(2)
        code, body, kind = get(url + "status.json")
        status = json.loads(body)
        source = status["sources"]["shopfloor"]
        assert code == 200 and kind == "application/json"
        assert source["state"] == "streaming" and source["people"] == 1 and 10 <= source["input_fps"] <= 25
        assert get(url + "healthz")[:2] == (200, b'{"status": "ok", "problems": []}')
        code, body, kind = get(url + "metrics")
        metrics = body.decode()
        assert code == 200 and kind.startswith("text/plain")
        assert 'fashion_stream_source_state{source="shopfloor",state="streaming"} 1.0' in metrics
        assert 'fashion_stream_people_active{source="shopfloor"} 1.0' in metrics
        assert 'fashion_stream_stage_latency_seconds_count{stage="inference"}' in metrics
        processed = next(line for line in metrics.splitlines() if line.startswith("fashion_stream_frames_processed_total"))
        assert float(processed.split()[-1]) >= 20
        with urllib.request.urlopen(url + "stream/shopfloor.mjpg", timeout=10) as stream:
            assert stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            parts = stream.read(200_000).count(b"Content-Type: image/jpeg")
        assert parts >= 2
        assert get(url + "stream/nope.mjpg")[0] == 404 and get(url + "nothing")[0] == 404
    finally:
        pipeline.stop()
        pipeline.join(30)


def test_healthz_reports_a_camera_that_is_reconnecting():
    reader = ScriptedReader([True, False, False, False, False, False], frames_per_session=5)
    from stream.sources import ReconnectSettings

    spec = SourceSpec("door", reader, "drop_oldest", ReconnectSettings(initial_s=0.5, max_s=0.5, max_attempts=None))
    from tests.fakes import CountingDetector

    pipeline = Pipeline([spec], CountingDetector(), [], pipeline_config(serve="127.0.0.1:0"))
    pipeline.start()
    try:
        assert wait_for(lambda: pipeline.monitor is not None and pipeline.runners[0].state.value == "reconnecting", 10)
        assert pipeline.monitor is not None
        code, body, _ = get(pipeline.monitor.url + "healthz")
        assert code == 503 and json.loads(body)["problems"][0].startswith("source door is reconnecting")
        assert 'state="reconnecting"} 1.0' in get(pipeline.monitor.url + "metrics")[1].decode()
    finally:
        pipeline.stop()
        pipeline.join(30)


def test_a_port_in_use_is_a_one_line_error_before_anything_runs():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        scene = WalkingScene(SCENE, 10)
        pipeline = Pipeline([SourceSpec("s", scene.reader())], scene.garment_detector(), [], pipeline_config(serve=f"127.0.0.1:{port}"))
        with pytest.raises(StreamError, match=f"option --serve: cannot serve on 127.0.0.1:{port}: address already in use"):
            pipeline.run()
        assert pipeline.runners[0].frames_read == 0


def test_cli_serve_on_a_taken_port_is_one_line(tiny_checkpoint, tmp_path, capsys):
    from tests.fakes import run_cli
    from tests.media import write_video

    video = write_video(tmp_path / "v.mp4", frames=3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rc, err = run_cli(["run", "--source", str(video), "--model", str(tiny_checkpoint), "--serve", f"127.0.0.1:{port}",
                           "--out", str(tmp_path / "out"), "--no-progress"], capsys)
    assert rc == 2 and err.strip().splitlines()[-1] == f"error: option --serve: cannot serve on 127.0.0.1:{port}: address already in use"
    rc, err = run_cli(["run", "--source", str(video), "--model", str(tiny_checkpoint), "--serve", "localhost",
                       "--out", str(tmp_path / "out2"), "--no-progress"], capsys)
    assert rc == 2 and "option --serve" in err and len(err.strip().splitlines()) == 1, err
