"""`fashion-stream report` on a store written by a real run: tables, HTML charts, exports, filters;
and the CLI end to end: a run with zones and a line on a video, then its report."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from tests.media import write_video
from tests.test_event_store import run_into_store


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    """`fashion-stream ARGS` in this process: exit code, stdout, stderr."""
    from stream.cli import main

    try:
        rc = main(args)
    except SystemExit as exit_:
        rc = exit_.code
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    db = folder / "events.db"
    run_into_store(str(db), folder / "events.jsonl")
    return db


def table_rows(text: str, header: str) -> dict[str, list[str]]:
    """The rows of the terminal table whose header starts with `header`, by first cell."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = line.split("  ")
        cells = [c.strip() for c in cells if c.strip()]
        rows[cells[0]] = cells[1:]
    return rows


def test_report_tables_say_what_the_store_holds(filled_store, capsys):
    rc, out, err = cli(["report", "--db", str(filled_store)], capsys)
    assert rc == 0, err
    with sqlite3.connect(filled_store) as connection:
        people = connection.execute("SELECT COUNT(*) FROM people").fetchone()[0]
        visits = connection.execute("SELECT COUNT(*), COUNT(DISTINCT person) FROM zone_visits").fetchone()
        crossings = dict(connection.execute("SELECT direction, COUNT(*) FROM line_crossings GROUP BY direction").fetchall())
        pants = connection.execute("SELECT COUNT(DISTINCT person) FROM outfit_items WHERE label = 'pants'").fetchone()[0]
    assert table_rows(out, "source")["all"][0] == str(people) == "3"
    assert table_rows(out, "zone")["window"][:2] == [str(visits[0]), str(visits[1])]
    assert table_rows(out, "line")["door"] == [str(crossings["in"]), str(crossings["out"])]
    assert table_rows(out, "garment")["pants"][0] == str(pants)
    assert "top, t-shirt, sweatshirt + pants" in table_rows(out, "outfit combination")


def test_html_report_and_exports(filled_store, tmp_path, capsys):
    import pyarrow.parquet as pq
    from trackers.io.mot import load_mot_file

    rc, out, err = cli(["report", "--db", str(filled_store), "--html", str(tmp_path / "r.html"), "--png", str(tmp_path / "png"),
                        "--csv", str(tmp_path / "csv"), "--parquet", str(tmp_path / "pq"), "--mot", str(tmp_path / "mot")], capsys)
    assert rc == 0, err
    page = (tmp_path / "r.html").read_text()
    charts = sorted((tmp_path / "png").glob("*.png"))
    assert page.count("<img") == len(charts) == 7
    with sqlite3.connect(filled_store) as connection:
        for name in ("people", "outfit_items", "zone_visits", "line_crossings"):
            count = connection.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            with (tmp_path / "csv" / f"{name}.csv").open() as file:
                assert len(list(csv.DictReader(file))) == count
            assert pq.read_table(tmp_path / "pq" / f"{name}.parquet").num_rows == count
        boxes = connection.execute("SELECT frame, person, x1, y1, x2, y2 FROM person_boxes").fetchall()
    people_csv = list(csv.DictReader((tmp_path / "csv" / "people.csv").open()))
    assert all(row["first_seen_iso"].endswith("+00:00") for row in people_csv)
    mot = load_mot_file(tmp_path / "mot" / "cam-run1.txt")  # readable by the MOT tools of `trackers`
    assert sum(len(frame.ids) for frame in mot.values()) == len(boxes)
    frame, person, x1, y1, x2, y2 = boxes[0]
    row = list(mot[frame + 1].ids).index(person)
    assert list(mot[frame + 1].boxes[row]) == pytest.approx([x1, y1, x2 - x1, y2 - y1])


def test_filters_narrow_the_report(filled_store, capsys):
    with sqlite3.connect(filled_store) as connection:
        first = connection.execute("SELECT MIN(first_seen) FROM people").fetchone()[0]
    from datetime import datetime, timezone

    later = datetime.fromtimestamp(first + 1.0, timezone.utc).isoformat()
    rc, out, _ = cli(["report", "--db", str(filled_store), "--from", later], capsys)
    assert rc == 0 and table_rows(out, "source")["all"][0] == "2"  # the person seen first is left out
    rc, out, _ = cli(["report", "--db", str(filled_store), "--zone", "window"], capsys)
    assert rc == 0 and table_rows(out, "source")["all"][0] == "2"  # the third person never reached the window
    rc, out, _ = cli(["report", "--db", str(filled_store), "--source", "elsewhere"], capsys)
    assert rc == 0 and "no activity in this range" in out


@pytest.mark.parametrize("args, message", [
    (["--from", "yesterday"], "option --from: 'yesterday' is not an ISO date"),
    (["--db", "{tmp}/missing.db"], "event store not found: {tmp}/missing.db"),
])
def test_bad_report_input_is_one_line(args, message, filled_store, tmp_path, capsys):
    full = ["report", "--db", str(filled_store)] + [a.format(tmp=tmp_path) for a in args]
    rc, _, err = cli(full, capsys)
    assert rc == 2 and message.format(tmp=tmp_path) in err and len(err.strip().splitlines()) == 1, err


def test_cli_run_with_zones_fills_a_store_the_report_reads(tiny_checkpoint, tmp_path, capsys):
    """The user's path: a config with a zone and a line, `run --store`, then `report`."""
    from tools.make_checkpoint import make_checkpoint

    people_model = make_checkpoint(tmp_path / "people", seed=1, id2label={0: "person", 1: "car", 2: "dog"})
    video = write_video(tmp_path / "shop.mp4", frames=30, size=(320, 192), color=(40, 160, 40))
    config = tmp_path / "shop.yaml"
    config.write_text("sources:\n  - uri: placeholder\n    id: entrance\n"
                      "    zones: [{name: till, polygon: [[0, 0], [320, 0], [320, 192], [0, 192]]}]\n"
                      "    lines: [{name: door, start: [160, 0], end: [160, 192]}]\n"
                      "tracking: {person_threshold: 0.2, owner_ioa: 0.01}\nsinks: [{type: video}, {type: events}]\n")
    db = tmp_path / "shop.db"
    rc, _, err = cli(["run", "--config", str(config), "--source", str(video), "--model", str(tiny_checkpoint), "--person-model",
                      str(people_model), "--threshold", "0.1", "--store", str(db), "--out", str(tmp_path / "out"), "--no-progress"], capsys)
    assert rc == 0, err
    with sqlite3.connect(db) as connection:
        people = connection.execute("SELECT COUNT(*) FROM people WHERE dwell_s IS NOT NULL").fetchone()[0]
        visits = connection.execute("SELECT COUNT(*) FROM zone_visits WHERE dwell_s IS NOT NULL").fetchone()[0]
        source = connection.execute("SELECT source, width, height FROM sources").fetchone()
    assert people >= 1 and visits >= 1 and source == ("entrance", 320, 192)  # the zone covers the frame: every person visits
    rc, out, err = cli(["report", "--db", str(db), "--html", str(tmp_path / "r.html")], capsys)
    assert rc == 0, err
    assert table_rows(out, "zone")["till"][0] == str(visits) and (tmp_path / "r.html").stat().st_size > 10_000


def test_file_records_carry_the_recordings_wall_clock(tiny_checkpoint, tmp_path, capsys):
    """A file's frames are stamped with the recording's start (creation_time) plus their timestamp;
    without that metadata, with the run's start plus their timestamp."""
    import json
    import time
    from datetime import datetime, timezone

    import av

    from tests.media import write_h264

    plain = write_h264(tmp_path / "plain.mp4", frames=12)
    stamped = tmp_path / "stamped.mp4"
    with av.open(str(plain)) as source, av.open(str(stamped), "w", format="mp4") as target:
        target.metadata["creation_time"] = "2020-01-02T03:04:05.000000Z"
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    recorded = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp()
    for video, start in ((stamped, recorded), (plain, None)):
        out = tmp_path / f"out-{video.stem}"
        before = time.time()
        rc, _, err = cli(["run", "--source", str(video), "--model", str(tiny_checkpoint), "--sink", "jsonl", "--out", str(out),
                          "--no-progress"], capsys)
        assert rc == 0, err
        records = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
        assert len(records) == 12
        for record in records:
            expected = (start if start is not None else records[0]["time"] - records[0]["pts"]) + record["pts"]
            assert record["time"] == pytest.approx(expected, abs=2e-3)
        if start is None:
            assert before - 1 <= records[0]["time"] - records[0]["pts"] <= time.time()


def test_a_store_that_cannot_be_opened_stops_the_run_with_one_line(tiny_checkpoint, tmp_path, capsys):
    video = write_video(tmp_path / "v.mp4", frames=5)
    rc, _, err = cli(["run", "--source", str(video), "--model", str(tiny_checkpoint), "--store", str(tmp_path / "no" / "x.db"),
                      "--out", str(tmp_path / "out"), "--no-progress"], capsys)
    assert rc == 2 and err.strip().splitlines()[-1] == f"error: cannot create event store {tmp_path}/no/x.db: folder {tmp_path}/no does not exist"
