"""Test media: small videos written here, a frame counter, a damaged copy, and a loopback HTTP file server."""

from __future__ import annotations

import io
import re
import threading
from fractions import Fraction
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np


def write_video(path: Path, frames: int, size: tuple[int, int] = (160, 96), fps: float = 10, color=None,
                noise_rows: int | None = None) -> Path:
    """An mp4v video of random frames, of one BGR `color` with a little noise, or of a grey
    picture with `noise_rows` rows of noise at the top (a steady, known amount of detail)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        if noise_rows is not None:
            image = np.full((size[1], size[0], 3), 128, np.uint8)
            image[:noise_rows] = rng.integers(0, 255, (noise_rows, size[0], 3), dtype=np.uint8)
            writer.write(image)
        elif color is None:
            writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
        else:
            writer.write(np.clip(np.array(color) + rng.integers(-12, 12, (size[1], size[0], 3)), 0, 255).astype(np.uint8))
    writer.release()
    return path


def write_h264(path: Path, frames: int, size: tuple[int, int] = (320, 192), fps: int = 10, gop: int = 10) -> Path:
    """An H.264 MP4 (PyAV, libx264) of moving shapes, a keyframe every `gop` frames, as cameras record."""
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"g": str(gop), "bf": "0"}
        for i in range(frames):
            image = np.full((size[1], size[0], 3), 60, np.uint8)
            cv2.circle(image, ((i * 7) % size[0], size[1] // 2), 20, (0, 200, 255), -1)
            cv2.putText(image, str(i), (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decodable_frames(path: Path, give_up_after: int = 200) -> int:
    """Frames OpenCV decodes from `path`, reading on past undecodable ones."""
    capture, good, failed = cv2.VideoCapture(str(path)), 0, 0
    while failed < give_up_after:
        ok, _ = capture.read()
        good, failed = (good + 1, 0) if ok else (good, failed + 1)
    capture.release()
    return good


def damage(path: Path, out: Path, at: float = 0.5, length: int = 8192, seed: int = 0) -> Path:
    """A copy of `path` with `length` random bytes written over it at `at` of its size."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    data[start:start + length] = np.random.default_rng(seed).integers(0, 256, length, dtype=np.uint8).tobytes()
    out.write_bytes(bytes(data))
    return out


class FileServer:
    """Serves a folder over HTTP on 127.0.0.1 with byte ranges, as nginx does for video files (any
    user:password in the URL is accepted and ignored)."""

    def __init__(self, folder: Path) -> None:
        handler = partial(_QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str, userinfo: str = "") -> str:
        """The URL of a file of the folder, with `user:password@` when given."""
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus `Range: bytes=a-b` (FFmpeg seeks to an MP4's index)."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not wanted or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(wanted.group(1)) if wanted.group(1) else max(0, size - int(wanted.group(2) or 0))
        end = min(size - 1, int(wanted.group(2))) if wanted.group(1) and wanted.group(2) else size - 1
        if start >= size:
            self.send_error(416)
            return None
        with open(path, "rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(body)
