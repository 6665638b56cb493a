"""A real HTTP MJPEG camera on 127.0.0.1 for network-source tests (multipart/x-mixed-replace)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = "frame"


class MjpegCamera:
    """Serves numbered JPEG frames at `fps` until stopped; can be restarted on the same port."""

    def __init__(self, port: int = 0, fps: float = 25.0) -> None:
        self.port, self.fps = port, fps
        self.server: ThreadingHTTPServer | None = None
        self.running = threading.Event()
        self.sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MjpegCamera:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.end_headers()
                try:
                    while camera.running.is_set():
                        image = np.full((120, 160, 3), camera.sent % 255, np.uint8)
                        jpeg = cv2.imencode(".jpg", image)[1].tobytes()
                        self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode())
                        self.wfile.write(jpeg + b"\r\n")
                        camera.sent += 1
                        time.sleep(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.running.set()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Drop every client and stop listening, like a camera that goes away."""
        self.running.clear()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
