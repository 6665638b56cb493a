"""The HTTP API over 127.0.0.1: the same JSON as `detect`, its own OpenAPI schema checked with
schemathesis, the documented 4xx for bad uploads (the server keeps serving), and health."""

from __future__ import annotations

import json
import os

import httpx
import pytest
import schemathesis

from stream.cli import main
from tests.service_helpers import http_server, jpeg, make_service
from tools.make_checkpoint import make_checkpoint


@pytest.fixture(scope="module")
def api(tmp_path_factory, tiny_clip):
    checkpoint = make_checkpoint(tmp_path_factory.mktemp("ckpt") / "yolos", favour={"shirt, blouse": 6.0, "pants": 6.0})
    service, _ = make_service(checkpoint, tiny_clip, max_message_mb=8, max_pixels=25_000_000)
    with http_server(service) as url:
        yield url, checkpoint, tiny_clip
    service.close()


def test_detect_returns_what_the_detect_command_writes(api, street_photo, tmp_path):
    url, checkpoint, clip = api
    with open(street_photo, "rb") as photo:
        answer = httpx.post(f"{url}/v1/detect", files={"image": (street_photo.name, photo, "image/jpeg")}, timeout=120)
    assert answer.status_code == 200, answer.text
    assert main(["detect", str(street_photo), "--model", str(checkpoint), "--attributes-model", str(clip), "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / f"{street_photo.stem}.json").read_text())
    body = answer.json()
    assert body["image"] == street_photo.name and {k: v for k, v in body.items() if k != "image"} == \
        {k: v for k, v in written.items() if k != "image"}
    assert body["items"] and all("color" in item and "attributes" in item for item in body["items"])


@pytest.mark.parametrize("payload, status", [
    (b"", 400), (b"plain text, not an image", 400), (jpeg()[:200], 400), (os.urandom(2048), 400),
    (b"\0" * (9 * 1024 * 1024), 413),
])
def test_bad_uploads_get_a_clear_4xx_and_the_server_keeps_serving(api, payload, status):
    url = api[0]
    answer = httpx.post(f"{url}/v1/detect", files={"image": ("x.jpg", payload, "image/jpeg")}, timeout=60)
    assert answer.status_code == status and answer.json()["detail"], answer.text
    assert httpx.post(f"{url}/v1/detect", files={"image": ("ok.jpg", jpeg(), "image/jpeg")}, timeout=60).status_code == 200


def test_an_image_over_the_pixel_limit_is_413_and_a_missing_field_422(api):
    import cv2
    import numpy as np

    url = api[0]
    big = cv2.imencode(".png", np.zeros((5000, 5100), dtype=np.uint8))[1].tobytes()
    answer = httpx.post(f"{url}/v1/detect", files={"image": ("big.png", big, "image/png")}, timeout=60)
    assert answer.status_code == 413 and "image too large" in answer.json()["detail"]
    assert httpx.post(f"{url}/v1/detect", files={"picture": ("a.jpg", jpeg(), "image/jpeg")}, timeout=60).status_code == 422


def test_health_and_schema(api):
    url = api[0]
    health = httpx.get(f"{url}/healthz").json()
    assert health["status"] == "ok" and health["served"] >= 0
    schema = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/detect", "/healthz"} <= set(schema["paths"])
    assert {"200", "400", "413", "422", "503"} <= set(schema["paths"]["/v1/detect"]["post"]["responses"])


def test_the_api_keeps_to_its_own_openapi_schema(api):
    """Every operation, with requests generated from the schema (valid and invalid): no server error,
    every status and body as documented. Left out: "a schema-valid request is accepted", as any bytes
    are a valid `binary` but only images are answered (400, documented). (Driven through Hypothesis
    directly: schemathesis' pytest plugin does not run on this pytest.)"""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    loaded = schemathesis.openapi.from_url(f"{api[0]}/openapi.json")
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert {op.path for op in operations} == {"/v1/detect", "/healthz"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(timeout=60, excluded_checks=[positive_data_acceptance])

        check()


def test_serve_http_starts_answers_and_stops_on_sigterm(api):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.service_helpers import free_port

    _, checkpoint, clip = api
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "stream.cli", "serve", "http", "--model", str(checkpoint), "--attributes-model", str(clip),
                                "--port", str(port)], cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert f"serving HTTP on http://127.0.0.1:{port}" in line, line
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/detect", files={"image": ("a.jpg", jpeg(), "image/jpeg")}, timeout=60)
        assert answer.status_code == 200 and answer.json()["items"] is not None
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped after 1 image(s)" in output, output


def test_more_requests_than_workers_and_pending_get_503(tiny_checkpoint):
    import threading

    service, _ = make_service(tiny_checkpoint, None, delay_s=0.5, workers=2, max_pending=1)
    codes: list[int] = []
    with http_server(service) as url:
        def call():
            codes.append(httpx.post(f"{url}/v1/detect", files={"image": ("a.jpg", jpeg(), "image/jpeg")}, timeout=60).status_code)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert httpx.post(f"{url}/v1/detect", files={"image": ("a.jpg", jpeg(), "image/jpeg")}, timeout=60).status_code == 200
    service.close()
    assert set(codes) == {200, 503} and codes.count(200) >= 3, codes
