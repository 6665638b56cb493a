"""Reading the event store back: the rows a report covers (filtered by run, source, time and
zone) and the numbers a store manager asks for, as terminal tables."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, select

from stream.analytics import store
from stream.errors import StreamError
from stream.io import format_table

Row = dict[str, Any]
BOTTOMS_WITH = ("upper", "lower")  # the pair an outfit combination names; a whole-body garment stands alone


@dataclass
class ReportFilter:
    """What a report covers; None means no limit."""

    run: int | None = None
    source: str | None = None
    since: float | None = None  # Unix seconds
    until: float | None = None
    zone: str | None = None

    def describe(self) -> str:
        """The filter in words, for report headers."""
        parts = [f"run {self.run}" if self.run is not None else "all runs", f"source {self.source}" if self.source else "all sources"]
        if self.since is not None or self.until is not None:
            parts.append(f"{local_text(self.since) if self.since else '…'} to {local_text(self.until) if self.until else '…'}")
        if self.zone:
            parts.append(f"people who visited zone {self.zone}")
        return ", ".join(parts)


def local_text(when: float) -> str:
    """Unix seconds as local date and time, to the minute."""
    return datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def parse_when(text: str, option: str) -> float:
    """An ISO date or date-time (local time unless it names a zone) as Unix seconds.

    Raises:
        StreamError: naming the option and the text.
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise StreamError(f"option {option}: '{text}' is not an ISO date or time (e.g. 2026-11-24 or 2026-11-24T09:30)") from exc
    return (when if when.tzinfo else when.astimezone()).timestamp()


@dataclass
class ReportData:
    """The rows a report covers."""

    people: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    crossings: list[Row] = field(default_factory=list)
    sources: list[Row] = field(default_factory=list)

    @property
    def span(self) -> tuple[float, float] | None:
        """First and last moment of the covered activity."""
        times = [p["first_seen"] for p in self.people] + [p["last_seen"] for p in self.people if p["last_seen"] is not None]
        times += [v["entered_at"] for v in self.visits] + [c["time"] for c in self.crossings]
        return (min(times), max(times)) if times else None


def _rows(engine: Engine, table: Table, filt: ReportFilter, time_column: str | None) -> list[Row]:
    query = select(table)
    if filt.run is not None:
        query = query.where(table.c.run_id == filt.run)
    if filt.source:
        query = query.where(table.c.source == filt.source)
    if time_column and filt.since is not None:
        query = query.where(table.c[time_column] >= filt.since)
    if time_column and filt.until is not None:
        query = query.where(table.c[time_column] < filt.until)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def load_report_data(engine: Engine, filt: ReportFilter) -> ReportData:
    """The people, final outfits, zone visits and line crossings a filter covers.

    Args:
        engine: an open store (`stream.analytics.store.open_store`).
        filt: run, source, time range and zone.

    Returns:
        The rows; people by when they were first seen, visits by their entry, crossings by their time.
    """
    people = _rows(engine, store.people, filt, "first_seen")
    visits = _rows(engine, store.zone_visits, filt, "entered_at")
    if filt.zone:
        visits = [v for v in visits if v["zone"] == filt.zone]
        visitors = {(v["run_id"], v["source"], v["person"]) for v in visits}
        people = [p for p in people if (p["run_id"], p["source"], p["person"]) in visitors]
    keys = {(p["run_id"], p["source"], p["person"]) for p in people}
    items = [i for i in _rows(engine, store.outfit_items, filt, None) if (i["run_id"], i["source"], i["person"]) in keys]
    crossings = _rows(engine, store.line_crossings, filt, "time")
    return ReportData(people, items, visits, crossings, _rows(engine, store.sources, filt, None))


def slot_group(slot: str) -> str:
    """The slot of an outfit entry (`accessory/12` -> `accessory`)."""
    return slot.split("/", 1)[0]


def outfits_by_person(data: ReportData) -> dict[tuple, dict[str, list[Row]]]:
    """Each person's final outfit items, by slot group."""
    outfits: dict[tuple, dict[str, list[Row]]] = {}
    for item in data.items:
        if item["label"] is None:
            continue
        key = (item["run_id"], item["source"], item["person"])
        outfits.setdefault(key, {}).setdefault(slot_group(item["slot"]), []).append(item)
    return outfits


def garment_counts(data: ReportData) -> Counter:
    """People wearing each garment label."""
    return Counter(label for outfit in outfits_by_person(data).values() for label in {i["label"] for rows in outfit.values() for i in rows})


def group_shares(data: ReportData) -> dict[str, float]:
    """Share of the people (with an outfit) who wear something in each slot group."""
    outfits = outfits_by_person(data)
    counts = Counter(group for outfit in outfits.values() for group in outfit)
    return {group: n / len(outfits) for group, n in counts.most_common()} if outfits else {}


def color_counts(data: ReportData) -> Counter:
    """Garments of each colour (every item of every final outfit with a colour)."""
    return Counter(i["color"] for i in data.items if i["label"] is not None and i["color"])


def combinations(data: ReportData) -> Counter:
    """Outfit combinations: 'top + bottom' pairs, or the whole-body garment alone."""
    counts: Counter = Counter()
    for outfit in outfits_by_person(data).values():
        if "whole" in outfit:
            counts[outfit["whole"][0]["label"]] += 1
        elif all(group in outfit for group in BOTTOMS_WITH):
            counts[" + ".join(outfit[group][0]["label"] for group in BOTTOMS_WITH)] += 1
    return counts


def dwell_values(data: ReportData) -> list[float]:
    """Time in view of every person who left (seconds)."""
    return [p["dwell_s"] for p in data.people if p["dwell_s"] is not None]


def zone_dwell(data: ReportData) -> dict[str, list[float]]:
    """Finished visits' dwell per zone (seconds)."""
    dwell: dict[str, list[float]] = {}
    for visit in data.visits:
        dwell.setdefault(visit["zone"], [])
        if visit["dwell_s"] is not None:
            dwell[visit["zone"]].append(visit["dwell_s"])
    return dwell


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.1f}" if values else "-"


def text_report(data: ReportData, filt: ReportFilter, shown_store: str) -> str:
    """The report as terminal tables: people, zones, lines, garments, colours, combinations."""
    span = data.span
    lines = [f"fashion-stream report: {shown_store} ({filt.describe()})",
             f"covering {local_text(span[0])} to {local_text(span[1])}" if span else "no activity in this range", ""]
    per_source: dict[str, list[float]] = {}
    for person in data.people:
        per_source.setdefault(person["source"], [])
        if person["dwell_s"] is not None:
            per_source[person["source"]].append(person["dwell_s"])
    people_rows = [[source, sum(p["source"] == source for p in data.people), _median(d), _mean(d)] for source, d in sorted(per_source.items())]
    everyone = dwell_values(data)
    people_rows.append(["all", len(data.people), _median(everyone), _mean(everyone)])
    lines.append(format_table(["source", "people", "median s in view", "mean s in view"], people_rows))
    zones = zone_dwell(data)
    if zones:
        visitors = {z: len({(v["run_id"], v["source"], v["person"]) for v in data.visits if v["zone"] == z}) for z in zones}
        lines += ["", format_table(["zone", "visits", "people", "median dwell s", "longest s"],
                                   [[z, sum(v["zone"] == z for v in data.visits), visitors[z], _median(d), f"{max(d):.1f}" if d else "-"]
                                    for z, d in sorted(zones.items())])]
    if data.crossings:
        per_line = sorted({c["line"] for c in data.crossings})
        lines += ["", format_table(["line", "in", "out"], [[name, sum(c["line"] == name and c["direction"] == "in" for c in data.crossings),
                                                            sum(c["line"] == name and c["direction"] == "out" for c in data.crossings)]
                                                           for name in per_line])]
    people_with_outfit = len(outfits_by_person(data))
    for title, counts in (("garment", garment_counts(data)), ("colour", color_counts(data)), ("outfit combination", combinations(data))):
        if counts:
            total = people_with_outfit if title != "colour" else sum(counts.values())
            lines += ["", format_table([title, "count", "share"], [[k, n, f"{100 * n / total:.0f}%"] for k, n in counts.most_common(10)])]
    return "\n".join(lines)


def outfit_json(person: Row) -> dict[str, Any]:
    """A person's final outfit as stored (empty while they are in view or after a hard kill)."""
    return json.loads(person["outfit"]) if person.get("outfit") else {}
