"""The webhook sink against a real HTTP server on loopback: retries with backoff, order, rejections."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stream.errors import StreamError
from stream.records import outfit_event
from stream.sinks.webhook import WebhookSettings, WebhookSink
from stream.sources.settings import ReconnectSettings


class Endpoint:
    """Answers the first `failures` requests with `status`, then 200; keeps what it accepted."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.received: list[dict] = []
        self.requests = 0
        self.headers: list[str | None] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests += 1
                endpoint.headers.append(self.headers.get("Authorization"))
                code = status if endpoint.requests <= failures else 200
                if code == 200:
                    endpoint.received += body["events"]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=secret"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def events(n: int) -> list:
    return [outfit_event({"event": "appear", "source": "door", "frame": i, "pts": i / 10, "time": 100 + i / 10, "person": i})
            for i in range(n)]


FAST = ReconnectSettings(initial_s=0.05, max_s=0.2, max_attempts=None)


def test_failed_requests_are_retried_and_every_event_arrives_once_in_order(caplog):
    endpoint = Endpoint(failures=3)
    try:
        sink = WebhookSink(WebhookSettings(url=endpoint.url, batch_size=4, retry=FAST, headers={"Authorization": "Bearer abc"}))
        sink.write_events(events(10))
        sink.close()
    finally:
        endpoint.close()
    assert [e["frame"] for e in endpoint.received] == list(range(10))
    assert endpoint.requests == 3 + 3  # three refused, then 4 + 4 + 2
    assert set(endpoint.headers) == {"Bearer abc"}
    assert "retrying with backoff" in caplog.text and "secret" not in caplog.text and "Bearer" not in caplog.text


def test_a_rejected_batch_is_reported_not_retried():
    endpoint = Endpoint(failures=1, status=400)
    try:
        sink = WebhookSink(WebhookSettings(url=endpoint.url, batch_size=5, retry=FAST))
        sink.write_events(events(7))
        with pytest.raises(StreamError, match=r"sink webhook http://127.0.0.1:\d+/hook: HTTP 400$"):
            sink.close()
    finally:
        endpoint.close()
    assert [e["frame"] for e in endpoint.received] == [5, 6] and endpoint.requests == 2


def test_an_endpoint_that_never_answers_fails_the_sink_at_close():
    endpoint = Endpoint(failures=1000)
    try:
        sink = WebhookSink(WebhookSettings(url=endpoint.url, retry=FAST, close_timeout_s=0.5))
        sink.write_events(events(3))
        with pytest.raises(StreamError, match="3 events not delivered within [01] s"):
            sink.close()
    finally:
        endpoint.close()
