"""A real RTSP camera on 127.0.0.1 for network-source tests: GStreamer's RTSP server.

The GStreamer bindings (python3-gi, gir1.2-gst-rtsp-server-1.0) live in the system Python, not in
the project's virtual environment, so the server runs as a child process of that interpreter:
`RtspCamera` starts and stops it; the `__main__` part below is the server itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

SYSTEM_PYTHON = os.environ.get("FASHION_STREAM_GST_PYTHON", "/usr/bin/python3")
PROBE = ("import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer; "
         "Gst.init(None); assert Gst.ElementFactory.find('{enc}')")


def unavailable_reason() -> str | None:
    """Why an RTSP server cannot be started here, or None when it can."""
    if shutil.which(SYSTEM_PYTHON) is None:
        return f"{SYSTEM_PYTHON} not found (set FASHION_STREAM_GST_PYTHON)"
    for encoder in ("x264enc", "jpegenc"):
        probe = subprocess.run([SYSTEM_PYTHON, "-c", PROBE.format(enc=encoder)], capture_output=True, text=True)
        if probe.returncode == 0:
            return None
    last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
    return (f"GStreamer RTSP server unavailable in {SYSTEM_PYTHON} ({last}); "
            "apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp gstreamer1.0-plugins-ugly")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RtspCamera:
    """rtsp://127.0.0.1:<port>/cam serving a live H.264 (or MJPEG) test pattern; restartable on the same port."""

    def __init__(self, port: int | None = None, fps: int = 15) -> None:
        self.port = port or free_port()
        self.fps = fps
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self, timeout_s: float = 15.0) -> RtspCamera:
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, __file__, str(self.port), str(self.fps)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline().strip()  # the server prints "ready" once it listens
        if line != "ready":
            self.stop()
            raise RuntimeError(f"RTSP server did not start (said {line!r})")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"RTSP server not listening on port {self.port}")

    def stop(self) -> None:
        """Kill the server, as when a camera loses power: clients see the connection drop."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def _serve(port: int, fps: int) -> None:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    source = f"videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate={fps}/1 ! videoconvert"
    if Gst.ElementFactory.find("x264enc"):
        encode = f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! rtph264pay name=pay0 pt=96 config-interval=1"
    else:
        encode = "jpegenc ! rtpjpegpay name=pay0 pt=26"
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {source} ! {encode} )")
    factory.set_shared(True)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
