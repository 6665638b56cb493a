"""The event store: what the run's events say, on SQLite and on a real PostgreSQL; crash safety;
schema versions."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from stream.analytics import store
from stream.errors import StreamError
from stream.pipeline import Pipeline, SourceSpec
from stream.sinks.event_store import EventStoreSettings, EventStoreSink
from stream.sinks.jsonl import JsonLinesSink
from stream.sinks.outfit_events import OutfitEventsSink
from tests.fakes import pipeline_config
from tests.postgres_server import PostgresServer, postgres_bin
from tests.test_zones import DOOR, WINDOW
from tools.walking_scene import WalkingScene

ROOT = Path(__file__).resolve().parents[1]
SCENE = [(0, 59, 100, 50, 9.0), (20, 79, 120, 590, -9.0), (30, 55, 110, 20, 6.0)]  # the third stays left of the zone


def run_into_store(target: str, events_file: Path, settings: EventStoreSettings | None = None) -> dict:
    scene = WalkingScene(SCENE, 200)
    spec = SourceSpec("cam", scene.reader(), zones=[WINDOW], lines=[DOOR])
    sinks = [EventStoreSink(target, settings), OutfitEventsSink(events_file), JsonLinesSink(events_file.with_suffix(".frames.jsonl"))]
    return Pipeline([spec], scene.garment_detector(), sinks, pipeline_config(tracking=True), person_detector=scene.person_detector()).run()


def check_store_matches_events(target: str, events_file: Path) -> None:
    """Every table says what the event stream says."""
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    engine = store.open_store(target, create=False)
    with engine.connect() as connection:
        people = {row.person: row for row in connection.execute(select(store.people))}
        visits = list(connection.execute(select(store.zone_visits)))
        crossings = list(connection.execute(select(store.line_crossings)))
        items = list(connection.execute(select(store.outfit_items)))
        run = connection.execute(select(store.runs)).one()
        boxes = connection.execute(select(func.count()).select_from(store.person_boxes)).scalar()
    engine.dispose()
    appear = {e["person"]: e for e in events if e["event"] == "appear"}
    leave = {e["person"]: e for e in events if e["event"] == "leave"}
    assert len(appear) == 3 and set(people) == set(appear) == set(leave)
    for person, row in people.items():
        assert row.first_seen == pytest.approx(appear[person]["time"], abs=1e-3)
        assert row.dwell_s == pytest.approx(leave[person]["dwell_s"])
        assert row.last_seen == pytest.approx(row.first_seen + row.dwell_s, abs=2e-3)
        assert json.loads(row.outfit) == leave[person]["outfit"]
    assert sorted((i.person, i.slot, i.label) for i in items) == sorted(
        (p, slot, entry["label"]) for p, e in leave.items() for slot, entry in e["outfit"].items())
    exits = sorted((e["person"], e["zone"], e["dwell_s"]) for e in events if e["event"] == "zone_exit")
    assert exits and sorted((v.person, v.zone, v.dwell_s) for v in visits) == exits
    crossed = sorted((e["person"], e["line"], e["direction"]) for e in events if e["event"] == "line_cross")
    assert crossed and sorted((c.person, c.line, c.direction) for c in crossings) == crossed
    assert run.status == "finished" and run.ended_at >= run.started_at
    frames = [json.loads(line) for line in events_file.with_suffix(".frames.jsonl").read_text().splitlines()]
    tracked = [t for f in frames for t in f["tracks"] if t["kind"] == "person"]
    assert boxes == len(tracked) >= sum(last - first + 1 for first, last, *_ in SCENE) - 3 * 3  # confirmed within 3 frames


def test_sqlite_store_holds_what_the_events_say(tmp_path):
    db = tmp_path / "events.db"
    summary = run_into_store(str(db), tmp_path / "events.jsonl", EventStoreSettings(batch_rows=7))  # many small batches
    assert summary["sinks"]["store"]["error"] is None
    check_store_matches_events(str(db), tmp_path / "events.jsonl")
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_one_batch_holds_every_kind_of_outfit_change(tmp_path):
    """Regression: a batch with an `outfit_stable` row (no `from`) and a `slot_changed` row failed
    as a whole (a bind parameter missing from one row) and was retried until the run lost it."""
    from stream.records import outfit_event

    sink = EventStoreSink(tmp_path / "e.db", EventStoreSettings(batch_s=60))
    slot = {"label": "pants", "confidence": 1.0, "provisional": False, "since_s": 2.0, "raw": "pants", "garment": 3}
    base = {"source": "cam", "frame": 1, "pts": 0.1, "time": 100.0, "person": 1}
    sink.write_events([outfit_event({**base, "event": "appear"}), outfit_event({**base, "event": "outfit_stable", "outfit": {"lower": slot}}),
                       outfit_event({**base, "event": "slot_changed", "slot": "lower", "from": "pants", "to": "skirt"})])
    sink.flush()
    assert sink._pending == 0
    sink.close()
    with sqlite3.connect(tmp_path / "e.db") as connection:
        rows = connection.execute("SELECT event, slot, from_label, to_label FROM outfit_changes ORDER BY id").fetchall()
    assert rows == [("outfit_stable", "lower", None, "pants"), ("slot_changed", "lower", "pants", "skirt")]


def test_a_second_run_into_a_shared_store_gets_its_own_run_id(tmp_path):
    db = str(tmp_path / "shop.db")
    run_into_store(db, tmp_path / "a.jsonl")
    run_into_store(db, tmp_path / "b.jsonl")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT run_id, COUNT(*) FROM people GROUP BY run_id").fetchall() == [(1, 3), (2, 3)]


@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server not installed (Debian: postgresql; .ci/run installs it)")
def test_postgres_store_holds_what_the_events_say_and_survives_a_server_restart(tmp_path, caplog):
    server = PostgresServer()
    try:
        run_into_store(server.url, tmp_path / "events.jsonl")
        check_store_matches_events(server.url, tmp_path / "events.jsonl")
        # the server goes away mid-run: rows are kept and written once it is back
        sink = EventStoreSink(server.url, EventStoreSettings(batch_s=0.01))
        scene = WalkingScene(SCENE, 200)
        from tests.test_zones import tracked_result

        server.stop()
        for index in range(50):
            sink.write(tracked_result(index, {99: (10 + index, 100, 70 + index, 300)}))
        assert sink._pending > 0
        server.start()
        time.sleep(2.1)  # past the retry wait
        sink.flush()
        sink.close()
        engine = store.open_store(server.url, create=False)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT COUNT(*) FROM person_boxes WHERE run_id = :r"), {"r": sink.run_id}).scalar()
        engine.dispose()
        assert kept == 50
        assert server.PASSWORD not in caplog.text and "***" in caplog.text
        del scene
    finally:
        server.close()


def test_a_hard_kill_loses_at_most_the_last_batch(tmp_path):
    db = tmp_path / "events.db"
    child = subprocess.Popen([sys.executable, "-m", "tests.store_writer", str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    processed = 0
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    while processed < 400 and time.monotonic() < deadline:  # 8 s at 50 frames a second, several people and visits
        line = child.stdout.readline()
        if line.startswith("processed"):
            processed = int(line.split()[1])
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert processed >= 400
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last_frame = connection.execute("SELECT MAX(frame) FROM person_boxes").fetchone()[0]
        status, ended = connection.execute("SELECT status, ended_at FROM runs").fetchone()
        visits = connection.execute("SELECT COUNT(*) FROM zone_visits").fetchone()[0]
        orphans = connection.execute("SELECT COUNT(*) FROM zone_visits v LEFT JOIN people p USING (run_id, source, person) "
                                     "WHERE p.person IS NULL").fetchone()[0]
    assert (status, ended) == ("running", None)  # the run never finished, and the store says so
    # batches are committed every 0.5 s (25 frames); the store may trail what was processed by a batch and the sink's queue
    assert last_frame + 1 >= processed - 25 - 40, (last_frame, processed)
    assert visits >= 10 and orphans == 0


def test_ctrl_c_writes_everything_accepted(tmp_path):
    db = tmp_path / "events.db"
    child = subprocess.Popen([sys.executable, "-m", "tests.store_writer", str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    lines = []
    while len(lines) < 200:
        lines.append(child.stdout.readline())
    child.send_signal(signal.SIGINT)
    lines += child.stdout.read().splitlines()
    assert child.wait(30) == 0 and lines[-1] == "finished"
    processed = max(int(line.split()[1]) for line in lines if line.startswith("processed"))
    with sqlite3.connect(db) as connection:
        frames = connection.execute("SELECT COUNT(DISTINCT frame) FROM person_boxes").fetchone()[0]
        status = connection.execute("SELECT status FROM runs").fetchone()[0]
        open_people = connection.execute("SELECT COUNT(*) FROM people WHERE dwell_s IS NULL").fetchone()[0]
    assert status == "finished" and open_people == 0  # everyone in view left at the end of the run
    assert frames == processed


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    db = tmp_path / "new.db"
    store.open_store(db).dispose()
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE schema_info SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StreamError, match="schema version 99; this fashion-stream reads up to 1"):
        store.open_store(db)


def test_missing_store_and_not_a_store_are_one_line_errors(tmp_path):
    with pytest.raises(StreamError, match="event store not found"):
        store.open_store(tmp_path / "nope.db", create=False)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StreamError, match="not a fashion-stream event store"):
        store.open_store(other, create=False)
    with pytest.raises(StreamError, match="folder .* does not exist"):
        store.open_store(tmp_path / "no" / "such" / "x.db")
