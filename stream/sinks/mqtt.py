"""MQTT sink: every event (appear, outfit_stable, slot_changed, leave, zone and line events) as a
JSON message on `<prefix>/<source>/<event>`, QoS 1, through paho-mqtt. A broker that is down (at
the start or mid-run) is retried in the background; events wait in paho's queue (bounded) and are
sent, at least once, when it is back. Closing waits for the broker to acknowledge what was sent."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field

from stream.errors import StreamError
from stream.frames import FrameResult
from stream.records import EventBase
from stream.sinks.base import SINKS, Sink, SinkSettings

log = logging.getLogger(__name__)


class MqttSettings(SinkSettings):
    """`{type: mqtt, url: mqtt://host:1883}`: events to an MQTT broker."""

    type: Literal["mqtt"] = "mqtt"
    url: str = Field("mqtt://127.0.0.1:1883", pattern=r"^mqtts?://", description="broker: mqtt://[user:password@]host[:port] (mqtts: TLS)")
    topic_prefix: str = Field("fashion-stream", description="topics are <prefix>/<source>/<event>")
    qos: Literal[0, 1, 2] = 1
    client_id: str | None = Field(None, description="default: fashion-stream-<host>-<pid>")
    max_queued: int = Field(100_000, ge=1, description="events held while the broker is unreachable; beyond, the newest are dropped (counted)")
    close_timeout_s: float = Field(10.0, ge=0, description="how long closing waits for the broker to take what is queued")


@SINKS.register(MqttSettings)
class MqttSink(Sink):
    """Publishes events; counts what the broker acknowledged, what waits and what was dropped."""

    name = "mqtt"

    def __init__(self, settings: MqttSettings) -> None:
        import os
        import socket

        import paho.mqtt.client as mqtt

        self.settings = settings
        self.shown = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", settings.url)  # the password hidden
        parts = urlsplit(settings.url)
        if not parts.hostname:
            raise StreamError(f"sink mqtt: no broker host in {self.shown}")
        client_id = settings.client_id or f"fashion-stream-{socket.gethostname()}-{os.getpid()}"
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if parts.username:
            self.client.username_pw_set(unquote(parts.username), unquote(parts.password) if parts.password else None)
        if parts.scheme == "mqtts":
            self.client.tls_set()
        self.client.max_queued_messages_set(settings.max_queued)
        self.client.max_inflight_messages_set(100)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_publish = self._on_publish
        self.connected = threading.Event()
        self.published = 0
        self.acknowledged = 0
        self.dropped = 0
        self._warned = False
        self._closing = False
        self.client.connect_async(parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883), keepalive=30)
        self.client.loop_start()

    @classmethod
    def from_settings(cls, settings: MqttSettings, out_dir: Path) -> MqttSink:
        """The sink a config entry describes."""
        return cls(settings)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt broker %s refused the connection: %s", self.shown, reason_code)
            return
        self.connected.set()
        if self._warned:
            log.info("mqtt broker %s reachable again; sending the events that waited", self.shown)
        self._warned = False

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self._unreachable(str(reason_code))

    def _on_connect_fail(self, client, userdata) -> None:
        self._unreachable("cannot connect")

    def _unreachable(self, reason: str) -> None:
        """One warning per outage (the degraded state), not one per retry."""
        if not self._warned and not self._closing:
            log.warning("mqtt broker %s unreachable (%s); events wait and are sent when it is back", self.shown, reason)
            self._warned = True

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.acknowledged += 1

    def write(self, result: FrameResult) -> None:
        """Publish the frame's events."""
        self.write_events(result.events)

    def write_events(self, events: list[EventBase]) -> None:  # type: ignore[override]
        """Publish events (queued by paho while the broker is away)."""
        import paho.mqtt.client as mqtt

        for event in events:
            topic = f"{self.settings.topic_prefix}/{event.source}/{event.event}"
            info = self.client.publish(topic, json.dumps(event.line()), qos=self.settings.qos)
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                self.dropped += 1
                if self.dropped == 1:
                    log.error("mqtt broker %s: %d events waiting, dropping new ones", self.shown, self.settings.max_queued)
            else:
                self.published += 1

    @property
    def waiting(self) -> int:
        """Events published but not yet acknowledged by the broker."""
        return self.published - self.acknowledged if self.settings.qos else 0

    def close(self) -> None:
        """Wait up to `close_timeout_s` for the broker to acknowledge what was published, then disconnect."""
        deadline = time.monotonic() + self.settings.close_timeout_s
        while self.waiting > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        waiting = self.waiting
        self._closing = True
        self.client.disconnect()
        self.client.loop_stop()
        if waiting > 0:
            raise StreamError(f"sink mqtt: {waiting} events not acknowledged by {self.shown} within {self.settings.close_timeout_s:.0f} s")
        if self.dropped:
            raise StreamError(f"sink mqtt: {self.dropped} events dropped while {self.shown} was unreachable (max_queued)")
