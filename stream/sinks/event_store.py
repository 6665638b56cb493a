"""Event store sink: people, outfits, zone visits, line crossings and person boxes in a database
(SQLite `events.db` in the output folder by default, or any SQLAlchemy URL such as PostgreSQL),
written in batched transactions. Schema: `stream.analytics.store`."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import Table, and_
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from stream.analytics import store
from stream.detections import track_ids
from stream.errors import StreamError
from stream.frames import FrameResult
from stream.records import EventBase
from stream.sinks.base import SINKS, Sink, SinkSettings

log = logging.getLogger(__name__)
Key = tuple[Any, ...]


class EventStoreSettings(SinkSettings):
    """`{type: store}`: the run's people, outfits, zones and lines in a database."""

    type: Literal["store"] = "store"
    default_name: ClassVar[str] = "events.db"
    url: str | None = Field(None, description="SQLAlchemy URL or SQLite file (default: events.db in output_dir); "
                                              "a shared store keeps every run, each under its own run_id")
    batch_s: float = Field(1.0, gt=0, description="longest time between commits (a hard kill loses at most this)")
    batch_rows: int = Field(2000, ge=1, description="rows gathered before a commit")
    boxes: bool = Field(True, description="store every tracked person box (for the MOT export)")
    max_pending_rows: int = Field(500_000, ge=1000, description="rows held while the database is unreachable before the sink fails")

    def target(self, out_dir: Path) -> str:
        """The store's URL or path."""
        return self.url or self.path or str(out_dir / self.default_name)

    def outputs(self, out_dir: Path, source_ids: list[str]) -> list[Path]:
        """The run's own store (the default file) is an output of the run; a given URL is shared, never replaced."""
        return [] if self.url else [Path(self.target(out_dir))]


@SINKS.register(EventStoreSettings)
class EventStoreSink(Sink):
    """Writes the run's events to the store; commits every `batch_s` seconds or `batch_rows` rows,
    when idle, and at the end. A database that goes away keeps the rows pending (retried) until
    `max_pending_rows`; what is accepted is written by the time the sink closes."""

    name = "store"

    def __init__(self, target: str | Path, settings: EventStoreSettings | None = None) -> None:
        self.settings = settings or EventStoreSettings()
        self.shown = store.shown_url(store.store_url(target))
        self.engine = store.open_store(target)
        self._inserts: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self._updates: list[tuple[Table, dict[str, Any], dict[str, Any]]] = []
        self._pending = 0
        self._last_commit = time.monotonic()
        self._retry_at = 0.0
        self._sources: set[str] = set()
        self._people: dict[Key, float] = {}  # (source, person) -> first seen, while in view
        self._visits: dict[Key, int] = {}  # (source, person, zone) -> visits so far
        self.run_id = self._start_run()

    @classmethod
    def from_settings(cls, settings: EventStoreSettings, out_dir: Path) -> EventStoreSink:
        """The sink a config entry describes."""
        return cls(settings.target(out_dir), settings)

    def _start_run(self) -> int:
        try:
            with self.engine.begin() as connection:
                row = connection.execute(store.runs.insert().values(started_at=time.time(), host=socket.gethostname(), status="running"))
                key = row.inserted_primary_key
                assert key is not None
                return int(key[0])
        except SQLAlchemyError as exc:
            raise StreamError(f"cannot write event store {self.shown}: {store.db_reason(exc)}") from exc

    # --- gathering rows ----------------------------------------------------------------------
    def _insert(self, table: Table, **values: Any) -> None:
        row = dict.fromkeys(c.name for c in table.columns if c.autoincrement is not True)  # every row of a batch has every column
        self._inserts[table].append({**row, "run_id": self.run_id, **values})
        self._pending += 1

    def _update(self, table: Table, key: dict[str, Any], **values: Any) -> None:
        self._updates.append((table, {"run_id": self.run_id, **key}, values))
        self._pending += 1

    def write(self, result: FrameResult) -> None:
        """Gather the frame's person boxes and events; commit when a batch is due."""
        frame = result.frame
        if frame.source_id not in self._sources:
            self._sources.add(frame.source_id)
            h, w = frame.image.shape[:2]
            self._insert(store.sources, source=frame.source_id, width=int(w), height=int(h), fps=frame.fps)
        if self.settings.boxes:
            people = result.people
            for person, box in zip(track_ids(people), people.xyxy):
                x1, y1, x2, y2 = (round(float(v), 1) for v in box)
                self._insert(store.person_boxes, source=frame.source_id, frame=frame.index, person=int(person),
                             time=round(frame.wall_time, 3), x1=x1, y1=y1, x2=x2, y2=y2)
        self.write_events(result.events)

    def write_events(self, events: list[EventBase]) -> None:  # type: ignore[override]
        """Gather the rows of each event; commit when a batch is due."""
        for event in events:
            self._event(event)
        self._commit_if_due()

    def _event(self, event: Any) -> None:
        source, person, when = event.source, event.person, event.time
        key = {"source": source, "person": person}
        if event.event == "appear":
            self._people[(source, person)] = when
            self._insert(store.people, **key, first_seen=when)
        elif event.event == "outfit_stable":
            for slot, item in event.outfit.items():
                self._insert(store.outfit_changes, **key, time=when, pts=event.pts, event="outfit_stable", slot=slot, to_label=item.label)
        elif event.event == "slot_changed":
            self._insert(store.outfit_changes, **key, time=when, pts=event.pts, event="slot_changed", slot=event.slot,
                         from_label=event.from_, to_label=event.to)
        elif event.event == "leave":
            outfit = {slot: item.line() for slot, item in event.outfit.items()}
            first_seen = self._people.pop((source, person), None)
            if first_seen is None:  # never seen appearing (a store added mid-run): the leave event says since when
                first_seen = round(when - event.dwell_s, 3)
                self._insert(store.people, **key, first_seen=first_seen)
            # the leave is raised `leave_after_s` after the last sighting: last seen is the first sighting plus the dwell
            self._update(store.people, key, last_seen=round(first_seen + event.dwell_s, 3), dwell_s=event.dwell_s, outfit=json.dumps(outfit, sort_keys=True))
            for slot, item in event.outfit.items():
                self._insert(store.outfit_items, **key, slot=slot, label=item.label, color=item.color)
            for visit_key in [k for k in self._visits if k[:2] == (source, person)]:
                del self._visits[visit_key]
        elif event.event == "zone_enter":
            visit = self._visits[(source, person, event.zone)] = self._visits.get((source, person, event.zone), 0) + 1
            self._insert(store.zone_visits, **key, zone=event.zone, visit=visit, entered_at=when)
        elif event.event == "zone_exit":
            visit = self._visits.get((source, person, event.zone), 1)
            self._update(store.zone_visits, {**key, "zone": event.zone, "visit": visit}, exited_at=when, dwell_s=event.dwell_s)
        elif event.event == "line_cross":
            self._insert(store.line_crossings, **key, line=event.line_, time=when, direction=event.direction)

    # --- committing --------------------------------------------------------------------------
    def _commit_if_due(self) -> None:
        due = self._pending >= self.settings.batch_rows or time.monotonic() - self._last_commit >= self.settings.batch_s
        if due and time.monotonic() >= self._retry_at:
            self.flush()

    def flush(self) -> None:
        """Commit what is gathered in one transaction; an unreachable database keeps it pending (retried later)."""
        if not self._pending:
            self._last_commit = time.monotonic()
            return
        try:
            self._commit()
        except (OperationalError, InterfaceError) as exc:  # the database is unreachable (restarting, network): retry later
            if self._pending > self.settings.max_pending_rows:
                raise StreamError(f"cannot write event store {self.shown}: {store.db_reason(exc)} ({self._pending} rows not written)") from exc
            if not self._retry_at:
                log.warning("event store %s: %s; keeping %d rows and retrying", self.shown, store.db_reason(exc), self._pending)
            self._retry_at = time.monotonic() + 2.0
            return
        except SQLAlchemyError as exc:
            raise StreamError(f"cannot write event store {self.shown}: {store.db_reason(exc)}") from exc
        if self._retry_at:
            log.info("event store %s: written again", self.shown)
        self._retry_at = 0.0

    def _commit(self) -> None:
        with self.engine.begin() as connection:
            for table, rows in self._inserts.items():
                if rows:
                    connection.execute(table.insert(), rows)
            for table, key, values in self._updates:
                connection.execute(table.update().where(and_(*(table.c[k] == v for k, v in key.items()))).values(**values))
        self._inserts.clear()
        self._updates.clear()
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commit the rest and mark the run finished."""
        try:
            self._update(store.runs, {}, ended_at=time.time(), status="finished")
            try:
                self._commit()
            except SQLAlchemyError as exc:
                raise StreamError(f"cannot write event store {self.shown}: {store.db_reason(exc)} ({self._pending} rows not written)") from exc
        finally:
            self.engine.dispose()

