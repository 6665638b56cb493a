"""`SourceRunner`: one reader thread per source, as a small state machine.

    CONNECTING --open ok--> STREAMING --end of file--> ENDED
        |                      | loss or stall (live)
        |  open fails          v
        +-------------> RECONNECTING --backoff with jitter--> CONNECTING
                               | too many failed tries in a row, a permanent
                               v error, or a source that is not live
                             FAILED
A reconnect counts as a recovery only once the stream has delivered frames for
`ReconnectSettings.stable_s`: a stream that connects and drops at once uses up its attempts like
one that cannot be opened, so `max_attempts` bounds outages, not just failed opens.
The queue policy can be left to the source (None): `block` for finite sources, `drop_oldest`
for live ones, decided once the reader knows (an MP4 served over HTTP is finite).
Presentation times are made monotonic per source: a time that jumps backwards or resets (seen
with real RTSP cameras, and after a reconnect) continues from the last one instead.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time

from stream.frame_queue import FrameQueue
from stream.frames import Frame
from stream.sources.readers import FrameReader, ReaderError
from stream.sources.settings import QueuePolicy, ReconnectSettings

log = logging.getLogger(__name__)


class SourceState(str, enum.Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


class SourceRunner:
    """Reads one source on its own thread and feeds the frame queue with the source's policy."""

    def __init__(
        self,
        source_id: str,
        reader: FrameReader,
        queue: FrameQueue,
        policy: QueuePolicy | None,
        reconnect: ReconnectSettings | None = None,
        realtime: bool = False,
    ) -> None:
        self.source_id = source_id
        self.reader = reader
        self.queue = queue
        self.policy = policy
        self.reconnect = reconnect or ReconnectSettings()
        self.realtime = realtime
        self.state = SourceState.CONNECTING
        self.error: str | None = None
        self.reconnects = 0
        self.outages = 0
        self.frames_read = 0
        self.pts_corrections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"source-{source_id}", daemon=True)
        self._rng = random.Random(hash(source_id))
        self._last_pts: float | None = None
        self._pts_offset = 0.0
        self._clock_start = time.monotonic()
        self._file_start: float | None = None  # a file's wall-clock start, fixed at its first frame

    def start(self) -> SourceRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to stop reading; it closes the reader itself."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def effective_policy(self) -> QueuePolicy:
        """The queue policy in force: the configured one, else by what the reader turned out to be."""
        return self.policy or ("drop_oldest" if self.reader.live or self.realtime else "block")

    @property
    def finished(self) -> bool:
        return self.state in (SourceState.ENDED, SourceState.FAILED) or not self._thread.is_alive()

    def _set_state(self, state: SourceState) -> None:
        if state != self.state:
            log.info("source %s: %s -> %s", self.source_id, self.state.value, state.value)
        self.state = state

    def _run(self) -> None:
        attempt = 0
        try:
            while not self._stop.is_set():
                try:
                    self.reader.open()
                except ReaderError as exc:
                    self.error = str(exc)
                    attempt += 1
                    if exc.permanent or not self._should_retry(attempt):
                        self._set_state(SourceState.FAILED)
                        return
                    self._backoff(attempt)
                    continue
                self._set_state(SourceState.STREAMING)
                self.error = None
                started = time.monotonic()
                ended_cleanly = self._stream()
                self.reader.close()
                if ended_cleanly or self._stop.is_set():
                    self._set_state(SourceState.ENDED)
                    return
                self.outages += 1
                if time.monotonic() - started >= self.reconnect.stable_s:
                    attempt = 0  # it had recovered: this is a new outage
                self.error = f"lost {self.source_id} (no new frame within the stall timeout, or the connection closed)"
                attempt += 1
                if not self._should_retry(attempt):
                    self._set_state(SourceState.FAILED)
                    return
                self._backoff(attempt)
            self._set_state(SourceState.ENDED)
        except Exception as exc:
            self.error = f"{self.source_id}: {type(exc).__name__}: {exc}"
            log.exception("source %s crashed", self.source_id)
            self._set_state(SourceState.FAILED)
        finally:
            self.reader.close()

    def _should_retry(self, attempt: int) -> bool:
        if not self.reader.live:
            return False
        limit = self.reconnect.max_attempts
        return limit is None or attempt <= limit

    def _backoff(self, attempt: int) -> None:
        self._set_state(SourceState.RECONNECTING)
        delay = self.reconnect.delay(attempt, self._rng)
        level = logging.WARNING if attempt == 1 else logging.DEBUG  # one warning per outage, not one per try
        log.log(level, "source %s: %s; retry %d in %.1fs", self.source_id, self.error, attempt, delay)
        if self._stop.wait(delay):
            return
        self.reconnects += 1
        self._set_state(SourceState.CONNECTING)

    def _stream(self) -> bool:
        """Read until the end (True), a loss (False) or a stop request."""
        start_wall = time.monotonic()
        while not self._stop.is_set():
            item = self.reader.read()
            if item is None:
                return not self.reader.live
            image, pts = item
            pts = self._monotonic_pts(pts)
            if self.realtime and pts is not None:
                self._stop.wait(max(0.0, start_wall + pts - time.monotonic()))
            frame = Frame(self.source_id, self.frames_read, pts, self._wall_time(pts), image, time.monotonic(), self.reader.fps,
                          live=self.reader.live or self.realtime)
            self.frames_read += 1
            if not self.queue.put(frame, self.effective_policy):
                return True  # the queue closed: the pipeline is shutting down
        return True

    def _wall_time(self, pts: float) -> float:
        """When the frame happened: a live source's arrival time; a file's recorded start (from its
        metadata) plus the frame's time, else the run's start plus the frame's time."""
        if self.reader.live:
            return time.time()
        if self._file_start is None:
            self._file_start = getattr(self.reader, "start_time", None) or time.time() - pts
        return self._file_start + pts

    def _monotonic_pts(self, pts: float | None) -> float:
        """Capture clock for live sources; file times kept, shifted forward after a jump back or reset."""
        if pts is None:
            pts = time.monotonic() - self._clock_start
        pts += self._pts_offset
        if self._last_pts is not None and pts <= self._last_pts:
            # a jump back or a reset: shift this and all later times to continue one step on
            step = 1.0 / self.reader.fps if self.reader.fps else 1e-3
            self._pts_offset += self._last_pts + step - pts
            pts = self._last_pts + step
            self.pts_corrections += 1
        self._last_pts = pts
        return pts
