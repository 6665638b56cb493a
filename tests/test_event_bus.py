"""Events to the outside: the MQTT sink against a real mosquitto, including a broker restart mid-run
and a broker that is down when the run starts."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from stream.pipeline import Pipeline, SourceSpec
from stream.sinks.mqtt import MqttSettings, MqttSink
from stream.sinks.outfit_events import OutfitEventsSink
from tests.fakes import pipeline_config, wait_for
from tests.mqtt_broker import Broker, Subscriber, mosquitto_path
from tests.test_zones import DOOR, WINDOW
from tools.walking_scene import WalkingScene

pytestmark = pytest.mark.skipif(mosquitto_path() is None, reason="mosquitto not installed (Debian: mosquitto; .ci/run installs it)")
# people walking in over 8 s (20 frames a second): appear, zone, line, outfit and leave events all along the run
SCENE = [(start, start + 50, 100 + (start % 3) * 10, 20, 11.0) for start in range(0, 140, 20)]


def paced_pipeline(sinks, frames: int = 170, pace_s: float = 0.05) -> Pipeline:
    scene = WalkingScene(SCENE, frames, fps=20.0)
    reader = scene.reader(pace_s=pace_s)
    spec = SourceSpec("entrance", reader, zones=[WINDOW], lines=[DOOR])
    return Pipeline([spec], scene.garment_detector(), sinks, pipeline_config(tracking=True), person_detector=scene.person_detector())


def delivered_everything(subscriber: Subscriber, events_file: Path) -> None:
    written = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert len(written) >= 20 and {"appear", "zone_enter", "zone_exit", "line_cross", "outfit_stable", "leave"} <= {e["event"] for e in written}
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    assert wait_for(lambda: {key(m) for _, m in subscriber.messages} >= {key(e) for e in written}, 20)
    received = {key(m) for _, m in subscriber.messages}
    assert received == {key(e) for e in written}  # nothing lost, nothing made up (QoS 1 may repeat one)
    assert all(topic == f"fashion-stream/entrance/{m['event']}" for topic, m in subscriber.messages)


def test_mqtt_events_survive_a_broker_restart_mid_run(tmp_path, caplog):
    caplog.set_level(logging.INFO, "stream.sinks.mqtt")
    broker = Broker()
    subscriber = Subscriber(broker)
    try:
        assert wait_for(lambda: subscriber.client.is_connected(), 5)
        mqtt = MqttSink(MqttSettings(url=broker.url, close_timeout_s=30))
        pipeline = paced_pipeline([mqtt, OutfitEventsSink(tmp_path / "events.jsonl")]).start()
        time.sleep(2.5)
        broker.stop()  # down for 2 s, mid-run
        time.sleep(2.0)
        broker.start()
        summary = pipeline.join(60)
        assert summary is not None and summary["sinks"]["mqtt"]["error"] is None
        delivered_everything(subscriber, tmp_path / "events.jsonl")
        assert "unreachable" in caplog.text and "reachable again" in caplog.text
    finally:
        subscriber.close()
        broker.close()


def test_mqtt_broker_down_at_the_start_is_reported_and_events_wait(tmp_path, caplog):
    broker = Broker()
    broker.stop()
    subscriber = None
    try:
        mqtt = MqttSink(MqttSettings(url=broker.url, close_timeout_s=30))
        pipeline = paced_pipeline([mqtt, OutfitEventsSink(tmp_path / "events.jsonl")]).start()
        time.sleep(3)
        assert "unreachable" in caplog.text and not mqtt.connected.is_set()
        broker.start()
        subscriber = Subscriber(broker)
        summary = pipeline.join(60)
        assert summary is not None and summary["sinks"]["mqtt"]["error"] is None
        delivered_everything(subscriber, tmp_path / "events.jsonl")
    finally:
        if subscriber is not None:
            subscriber.close()
        broker.close()


def test_mqtt_broker_that_never_comes_back_fails_the_sink_with_one_line(tmp_path):
    broker = Broker()
    broker.stop()
    try:
        mqtt = MqttSink(MqttSettings(url=broker.url.replace("mqtt://", "mqtt://user:pw@"), close_timeout_s=1))
        summary = paced_pipeline([mqtt, OutfitEventsSink(tmp_path / "events.jsonl")], frames=60, pace_s=0.0).run()
        error = summary["sinks"]["mqtt"]["error"]
        assert error and "events not acknowledged by mqtt://user:***@127.0.0.1" in error and "pw" not in error
        assert (tmp_path / "events.jsonl").read_text()  # the other outputs went on
    finally:
        broker.close()
