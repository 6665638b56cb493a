"""Exports of the event store: CSV or Parquet tables (people, outfit items, zone visits, line
crossings) and MOTChallenge text files of the person tracks (one per run and source)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select

from stream.analytics import store
from stream.analytics.report import ReportData, ReportFilter, Row
from stream.errors import StreamError

TIME_COLUMNS = ("first_seen", "last_seen", "entered_at", "exited_at", "time")


def _tables(data: ReportData) -> dict[str, list[Row]]:
    """The exported tables; every Unix time column gets an ISO 8601 (UTC) companion `<column>_iso`."""
    tables = {"people": data.people, "outfit_items": data.items, "zone_visits": data.visits, "line_crossings": data.crossings}
    out = {}
    for name, rows in tables.items():
        out[name] = [{**row, **{f"{c}_iso": _iso(row[c]) for c in TIME_COLUMNS if c in row}} for row in rows]
    return out


def _iso(when: float | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="milliseconds")


def _columns(name: str) -> list[str]:
    table = {"people": store.people, "outfit_items": store.outfit_items, "zone_visits": store.zone_visits,
             "line_crossings": store.line_crossings}[name]
    names = [c.name for c in table.columns]
    return names + [f"{c}_iso" for c in TIME_COLUMNS if c in names]


def export_csv(data: ReportData, folder: Path) -> list[Path]:
    """One CSV file per table (header row, UTF-8) in `folder`.

    Returns:
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in _tables(data).items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=_columns(name))
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def export_parquet(data: ReportData, folder: Path) -> list[Path]:
    """One Parquet file per table in `folder` (needs pyarrow: the `parquet` extra).

    Returns:
        The files written.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise StreamError("Parquet export needs pyarrow: pip install 'fashion-stream[parquet]'") from exc
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in _tables(data).items():
        columns = _columns(name)
        table = pa.table({c: [row.get(c) for row in rows] for c in columns}) if rows else pa.table({c: pa.array([], pa.string()) for c in columns})
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def export_mot(engine: Engine, filt: ReportFilter, folder: Path) -> list[Path]:
    """MOTChallenge files of the person tracks: `<source>-run<id>.txt`, one line per box,
    `frame (1-based), id, left, top, width, height, 1, -1, -1, -1`, frames in order.

    Args:
        engine: an open store (written with the store sink's `boxes: true`, its default).
        filt: run, source and time range.
        folder: where the files go.

    Returns:
        The files written.
    """
    table = store.person_boxes
    query = select(table).order_by(table.c.run_id, table.c.source, table.c.frame, table.c.person)
    if filt.run is not None:
        query = query.where(table.c.run_id == filt.run)
    if filt.source:
        query = query.where(table.c.source == filt.source)
    if filt.since is not None:
        query = query.where(table.c.time >= filt.since)
    if filt.until is not None:
        query = query.where(table.c.time < filt.until)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[tuple[int, str], Path] = {}
    handles = {}
    try:
        with engine.connect() as connection:
            for row in connection.execute(query):
                key = (row.run_id, row.source)
                if key not in handles:
                    files[key] = folder / f"{row.source}-run{row.run_id}.txt"
                    handles[key] = files[key].open("w")
                handles[key].write(f"{row.frame + 1},{row.person},{row.x1:.1f},{row.y1:.1f},{row.x2 - row.x1:.1f},"
                                   f"{row.y2 - row.y1:.1f},1,-1,-1,-1\n")
    finally:
        for handle in handles.values():
            handle.close()
    return list(files.values())
