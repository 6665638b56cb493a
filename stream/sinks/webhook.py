"""Webhook sink: events POSTed as JSON (`{"events": [...]}`, up to `batch_size` a request) to a URL,
from a thread of its own; failures (connection errors, timeouts, HTTP 408/429/5xx) are retried with
exponential backoff and jitter, in order; other HTTP errors are reported and the batch is dropped."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from stream.errors import StreamError
from stream.frames import FrameResult
from stream.records import EventBase
from stream.sinks.base import SINKS, Sink, SinkSettings
from stream.sources.settings import ReconnectSettings

log = logging.getLogger(__name__)
RETRIED = {408, 429}


class WebhookSettings(SinkSettings):
    """`{type: webhook, url: https://...}`: events to an HTTP endpoint."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://", description="the endpoint that receives POST {\"events\": [...]}")
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers (e.g. Authorization); never logged")
    batch_size: int = Field(50, ge=1, description="events per request at most")
    timeout_s: float = Field(5.0, gt=0, description="how long one request may take")
    retry: ReconnectSettings = Field(default_factory=lambda: ReconnectSettings(max_attempts=None, max_s=30.0),
                                     description="backoff between failed requests (max_attempts: null retries forever)")
    max_queued: int = Field(10_000, ge=1, description="events waiting to be sent; beyond, the newest are dropped (counted)")
    close_timeout_s: float = Field(10.0, ge=0, description="how long closing waits for the waiting events to be sent")


@SINKS.register(WebhookSettings)
class WebhookSink(Sink):
    """Queues events; a sender thread delivers them in order, at least once."""

    name = "webhook"

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.shown = settings.url.split("?", 1)[0]  # query strings may carry tokens
        self.queue: deque[dict[str, Any]] = deque()
        self.delivered = 0
        self.dropped = 0
        self.rejected = 0
        self.errors: list[str] = []
        self._lock = threading.Condition()
        self._closing = threading.Event()
        self._rng = random.Random()
        self._deadline = float("inf")  # set when closing
        self._thread = threading.Thread(target=self._send_loop, name="webhook", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: WebhookSettings, out_dir: Path) -> WebhookSink:
        """The sink a config entry describes."""
        return cls(settings)

    def write(self, result: FrameResult) -> None:
        """Queue the frame's events."""
        self.write_events(result.events)

    def write_events(self, events: list[EventBase]) -> None:  # type: ignore[override]
        """Queue events for the sender (the newest are dropped beyond `max_queued`)."""
        with self._lock:
            for event in events:
                if len(self.queue) >= self.settings.max_queued:
                    self.dropped += 1
                    continue
                self.queue.append(event.line())
            self._lock.notify()

    def _post(self, batch: list[dict[str, Any]]) -> int:
        """POST one batch; the HTTP status (0: no answer)."""
        body = json.dumps({"events": batch}).encode()
        request = urllib.request.Request(self.settings.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **self.settings.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, OSError, TimeoutError):
            return 0

    def _send_loop(self) -> None:
        attempt = 0
        while True:
            with self._lock:
                while not self.queue and not self._closing.is_set():
                    self._lock.wait(0.5)
                if not self.queue and self._closing.is_set():
                    return
                batch = [self.queue[i] for i in range(min(self.settings.batch_size, len(self.queue)))]
            status = self._post(batch)
            if 200 <= status < 300 or (400 <= status < 500 and status not in RETRIED):
                with self._lock:
                    for _ in batch:
                        self.queue.popleft()
                if status >= 400:
                    self.rejected += len(batch)
                    self.errors.append(f"HTTP {status}")
                    log.error("webhook %s answered HTTP %d: %d events dropped", self.shown, status, len(batch))
                else:
                    self.delivered += len(batch)
                    if attempt:
                        log.info("webhook %s reachable again", self.shown)
                attempt = 0
                continue
            attempt += 1
            if attempt == 1:
                log.warning("webhook %s failed (%s); retrying with backoff", self.shown, f"HTTP {status}" if status else "no answer")
            limit = self.settings.retry.max_attempts
            if limit is not None and attempt > limit:
                with self._lock:
                    lost = len(self.queue)
                    self.queue.clear()
                self.errors.append(f"gave up after {limit} retries, {lost} events not sent")
                return
            if not self._backoff(self.settings.retry.delay(attempt, self._rng)):
                return

    def _backoff(self, delay: float) -> bool:
        """Wait `delay` seconds; False when the sink is closing and its close deadline has passed."""
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            if self._closing.is_set() and time.monotonic() >= self._deadline:
                return False
            time.sleep(min(0.1, left))
        return not (self._closing.is_set() and time.monotonic() >= self._deadline)

    def close(self) -> None:
        """Wait up to `close_timeout_s` for the waiting events to be delivered."""
        self._deadline = time.monotonic() + self.settings.close_timeout_s
        self._closing.set()
        with self._lock:
            self._lock.notify()
        self._thread.join(self.settings.close_timeout_s + self.settings.timeout_s)
        problems = list(self.errors)
        if self.queue:
            problems.append(f"{len(self.queue)} events not delivered within {self.settings.close_timeout_s:.0f} s")
        if self.dropped:
            problems.append(f"{self.dropped} events dropped (max_queued)")
        if problems:
            raise StreamError(f"sink webhook {self.shown}: " + "; ".join(problems))
