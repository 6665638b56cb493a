"""The monitor's HTTP server: `/` (the live page), `/status.json`, `/healthz`, `/metrics`,
`/stream/<source>.mjpg` (MJPEG) and `/frame/<source>.jpg`, on a thread pool of its own."""

from __future__ import annotations

import errno
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from stream.errors import StreamError
from stream.monitor.live_frames import LiveFrames
from stream.monitor.metrics import RunMetrics
from stream.monitor.status import RunStatus

if TYPE_CHECKING:
    from stream.pipeline import Pipeline

log = logging.getLogger(__name__)
BOUNDARY = "fashionstreamframe"


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`127.0.0.1:8080`, `0.0.0.0:8080`, `[::1]:8080`) as (host, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class Monitor:
    """The live view, status, health and metrics of one pipeline run, served on `address`.

    Args:
        pipeline: the pipeline it watches.
        address: `HOST:PORT`; port 0 takes a free port (see `url`).

    Raises:
        StreamError: the address cannot be served (in use, not allowed), in one line.
    """

    def __init__(self, pipeline: Pipeline, address: str) -> None:
        self.frames = LiveFrames()
        self.status = RunStatus(pipeline, self.frames)
        self.metrics = RunMetrics(self.status.snapshot)
        self.stopping = threading.Event()
        host, port = parse_address(address)
        handler = type("Handler", (MonitorHandler,), {"monitor": self})
        try:
            self.server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise StreamError(f"option --serve: cannot serve on {address}: {reason}") from exc
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="monitor", daemon=True)
        pipeline.stats.observers.append(self.metrics.observe)

    @property
    def url(self) -> str:
        """Where the page is served."""
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/"

    def start(self) -> Monitor:
        """Serve on a background thread."""
        self._thread.start()
        log.info("live view on %s (status.json, healthz, metrics)", self.url)
        return self

    def stop(self) -> None:
        """Stop serving (open streams end)."""
        self.stopping.set()
        self.frames.wake()
        self.server.shutdown()
        self.server.server_close()


class MonitorHandler(BaseHTTPRequestHandler):
    """One request to the monitor."""

    monitor: Monitor
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("monitor: " + format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        monitor = self.monitor
        if path in ("/", "/index.html"):
            self._send(200, resources.files("stream.monitor").joinpath("page.html").read_bytes(), "text/html; charset=utf-8")
        elif path == "/status.json":
            self._json(200, monitor.status.snapshot())
        elif path == "/healthz":
            healthy, problems = monitor.status.health()
            self._json(200 if healthy else 503, {"status": "ok" if healthy else "degraded", "problems": problems})
        elif path == "/metrics":
            self._send(200, monitor.metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8")
        elif path.startswith("/frame/") and path.endswith(".jpg"):
            view = monitor.frames.views.get(path[len("/frame/"):-4])
            if view is None or not view.jpeg:
                self._json(404, {"error": "no frame of that source yet"})
            else:
                self._send(200, view.jpeg, "image/jpeg")
        elif path.startswith("/stream/") and path.endswith(".mjpg"):
            self._stream(path[len("/stream/"):-5])
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    def _stream(self, source: str) -> None:
        """MJPEG: each new annotated frame of the source as one part, until the client or the run goes."""
        if source not in {r.source_id for r in self.monitor.status.pipeline.runners}:
            self._json(404, {"error": f"no source {source}"})
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        last = None
        try:
            while not self.monitor.stopping.is_set():
                jpeg = self.monitor.frames.wait_frame(source, last, timeout=1.0)
                if jpeg is None:
                    continue
                last = jpeg
                self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode())
                self.wfile.write(jpeg + b"\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True
