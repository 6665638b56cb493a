"""The event store's schema, versioned, on SQLite (default, WAL) or PostgreSQL, through SQLAlchemy.

Tables (times are Unix seconds, UTC; `source` is the source id of the run config; `person` the
tracker's person id, unique per run and source):
  schema_info     key/value: `schema_version`
  runs            run_id, started_at, ended_at (null while running or after a hard kill), host, status
  sources         run_id, source, width, height, fps
  people          run_id, source, person, first_seen, last_seen, dwell_s (null until they leave), outfit (JSON)
  outfit_items    run_id, source, person, slot, label, color: the final outfit, one row per slot
  outfit_changes  run_id, source, person, time, pts, event (outfit_stable | slot_changed), slot, from_label, to_label
  zone_visits     run_id, source, person, zone, visit (1, 2, ... per person and zone), entered_at, exited_at, dwell_s
  line_crossings  run_id, source, person, line, time, direction (in | out)
  person_boxes    run_id, source, frame, person, time, x1, y1, x2, y2: every tracked person box (MOT export)

`SCHEMA_VERSION` is the version this code writes; `MIGRATIONS[n]` brings a store from version n-1
to n. Opening a store applies the missing migrations; a store from a newer version is refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, Float, Integer, MetaData, String, Table, Text, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from stream.errors import StreamError

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
METADATA = MetaData()


def _keys(*extra: Column) -> list[Column]:
    return [Column("run_id", Integer, primary_key=True), Column("source", String(128), primary_key=True), *extra]


schema_info = Table("schema_info", METADATA, Column("key", String(64), primary_key=True), Column("value", String(256)))
runs = Table("runs", METADATA, Column("run_id", Integer, primary_key=True, autoincrement=True), Column("started_at", Float),
             Column("ended_at", Float), Column("host", String(256)), Column("status", String(32)))
sources = Table("sources", METADATA, *_keys(Column("width", Integer), Column("height", Integer), Column("fps", Float)))
people = Table("people", METADATA, *_keys(Column("person", Integer, primary_key=True), Column("first_seen", Float, index=True),
                                          Column("last_seen", Float), Column("dwell_s", Float), Column("outfit", Text)))
outfit_items = Table("outfit_items", METADATA, *_keys(Column("person", Integer, primary_key=True), Column("slot", String(64), primary_key=True),
                                                      Column("label", String(128)), Column("color", String(32))))
outfit_changes = Table("outfit_changes", METADATA, Column("id", Integer, primary_key=True, autoincrement=True),
                       Column("run_id", Integer, index=True), Column("source", String(128)), Column("person", Integer),
                       Column("time", Float), Column("pts", Float), Column("event", String(32)), Column("slot", String(64)),
                       Column("from_label", String(128)), Column("to_label", String(128)))
zone_visits = Table("zone_visits", METADATA, *_keys(Column("person", Integer, primary_key=True), Column("zone", String(128), primary_key=True),
                                                    Column("visit", Integer, primary_key=True), Column("entered_at", Float, index=True),
                                                    Column("exited_at", Float), Column("dwell_s", Float)))
line_crossings = Table("line_crossings", METADATA, Column("id", Integer, primary_key=True, autoincrement=True),
                       Column("run_id", Integer, index=True), Column("source", String(128)), Column("person", Integer),
                       Column("line", String(128)), Column("time", Float), Column("direction", String(8)))
person_boxes = Table("person_boxes", METADATA, *_keys(Column("frame", Integer, primary_key=True), Column("person", Integer, primary_key=True),
                                                      Column("time", Float), Column("x1", Float), Column("y1", Float),
                                                      Column("x2", Float), Column("y2", Float)))


def _create_v1(connection: Connection) -> None:
    METADATA.create_all(connection)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1}


def store_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a store: URLs are kept (postgresql://, sqlite:///), a plain path is a SQLite file."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text)}"


def shown_url(url: str) -> str:
    """The URL as logs and errors show it: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a kill loses at most the open transaction
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_store(target: str | Path, create: bool = True) -> Engine:
    """Connect to a store and bring its schema up to date.

    Args:
        target: a SQLAlchemy URL (`postgresql+psycopg://user:pw@host/db`, `sqlite:///file.db`) or a SQLite file path.
        create: create a missing SQLite file and the tables (False: the store must exist, as for a report).

    Returns:
        The engine.

    Raises:
        StreamError: one line naming the store (password hidden) and the reason.
    """
    url = store_url(target)
    shown = shown_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StreamError(f"not a database URL or path: {shown}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not create and not path.is_file():
            raise StreamError(f"event store not found: {path}")
        if create and not path.parent.is_dir():
            raise StreamError(f"cannot create event store {path}: folder {path.parent} does not exist")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise StreamError(f"event store {shown} needs its database driver: pip install 'fashion-stream[postgres]' ({exc})") from exc
    except ArgumentError as exc:
        raise StreamError(f"cannot use event store {shown}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine, create)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StreamError(f"cannot open event store {shown}: {db_reason(exc)}") from exc
    return engine


def db_reason(exc: SQLAlchemyError) -> str:
    """The database's own reason for an error, in one line (without SQLAlchemy's help link)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)


def schema_version(connection: Connection) -> int:
    """The schema version of a store (0: empty)."""
    if not inspect(connection).has_table("schema_info"):
        return 0
    value = connection.execute(select(schema_info.c.value).where(schema_info.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def migrate(engine: Engine, create: bool = True) -> int:
    """Apply the missing migrations (each in its own transaction).

    Returns:
        The store's version afterwards.

    Raises:
        StreamError: the store is newer than this code, or empty while `create` is False.
    """
    with engine.begin() as connection:
        version = schema_version(connection)
    if version > SCHEMA_VERSION:
        raise StreamError(f"event store {shown_url(str(engine.url))} has schema version {version}; "
                          f"this fashion-stream reads up to {SCHEMA_VERSION}: upgrade fashion-stream")
    if version == 0 and not create:
        raise StreamError(f"{shown_url(str(engine.url))} is not a fashion-stream event store (no schema_info table)")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with engine.begin() as connection:
            MIGRATIONS[target](connection)
            connection.execute(schema_info.delete().where(schema_info.c.key == "schema_version"))
            connection.execute(schema_info.insert().values(key="schema_version", value=str(target)))
        log.info("event store %s: schema migrated to version %d", shown_url(str(engine.url)), target)
    return SCHEMA_VERSION

