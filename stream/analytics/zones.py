"""The zones stage, after the tracker: which person is in which zone of their source (entries,
exits with dwell) and who crossed which counting line, from the tracked people's feet (the
bottom-centre of their box), with supervision's `PolygonZone` and `LineZone`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from stream.analytics.settings import LineSettings, ZoneSettings
from stream.detections import track_ids
from stream.frames import FrameResult, RegionView
from stream.records import EventBase, LeaveEvent, LineCrossEvent, ZoneEnterEvent, ZoneExitEvent
from stream.stages import Stage

FEET = (sv.Position.BOTTOM_CENTER,)
FORGET_S = 60.0  # a person unseen this long (and never reported as left) is dropped


@dataclass
class Moment:
    """Where in its source something happened."""

    frame: int
    pts: float
    time: float


@dataclass
class Visit:
    """A person inside one zone: since when, and the last moment their feet were inside."""

    entered: Moment
    last_inside: Moment


@dataclass
class ZoneCount:
    """One zone of a source and its visits."""

    settings: ZoneSettings
    zone: sv.PolygonZone
    visits: dict[int, Visit] = field(default_factory=dict)  # person -> open visit
    entries: int = 0


@dataclass
class LineCount:
    """One counting line of a source and its totals."""

    settings: LineSettings
    line: sv.LineZone
    crossed: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0})


class SourceRegions:
    """The zones and lines of one source, and who is where."""

    def __init__(self, source_id: str, zones: list[ZoneSettings], lines: list[LineSettings]) -> None:
        self.source_id = source_id
        self.zones = [ZoneCount(z, sv.PolygonZone(np.array(z.polygon, dtype=np.int64), triggering_anchors=FEET)) for z in zones]
        self.lines = [LineCount(line, sv.LineZone(sv.Point(*line.start), sv.Point(*line.end), triggering_anchors=FEET,
                                                  minimum_crossing_threshold=line.min_frames)) for line in lines]
        self.last_seen: dict[int, float] = {}
        self.now = Moment(0, 0.0, 0.0)

    def _event(self, cls: type[EventBase], person: int, at: Moment, **values: object) -> EventBase:
        return cls(source=self.source_id, frame=at.frame, pts=round(at.pts, 4), time=round(at.time, 3), person=person, **values)

    def update(self, result: FrameResult) -> list[EventBase]:
        """Entries, exits and crossings of this frame; people the tracker let go close their visits."""
        frame = result.frame
        self.now = now = Moment(frame.index, frame.pts, frame.wall_time)
        people = result.people
        ids = track_ids(people)
        events: list[EventBase] = []
        for person in ids:
            self.last_seen[int(person)] = now.pts
        for count in self.zones:
            inside = count.zone.trigger(people) if len(people) else np.zeros(0, dtype=bool)
            for person, is_inside in zip((int(i) for i in ids), inside):
                visit = count.visits.get(person)
                if is_inside and visit is None:
                    count.visits[person] = Visit(now, now)
                    count.entries += 1
                    events.append(self._event(ZoneEnterEvent, person, now, zone=count.settings.name))
                elif is_inside and visit is not None:
                    visit.last_inside = now
            visible = {int(i) for i in ids}
            for person, visit in list(count.visits.items()):
                outside_s = now.pts - visit.last_inside.pts  # a person hidden from view keeps the visit open
                if (person in visible and outside_s > count.settings.exit_after_s) or outside_s > FORGET_S:
                    events.append(self._exit(count, person))
        for line_count in self.lines:
            crossed_in, crossed_out = line_count.line.trigger(people) if len(people) else (np.zeros(0, bool), np.zeros(0, bool))
            for person, went_in, went_out in zip((int(i) for i in ids), crossed_in, crossed_out):
                for direction, crossed in (("in", went_in), ("out", went_out)):
                    if crossed:
                        line_count.crossed[direction] += 1
                        events.append(self._event(LineCrossEvent, person, now, line=line_count.settings.name, direction=direction))
        for event in result.events:
            if isinstance(event, LeaveEvent):
                events += self.gone(event.person)
        self._forget(now.pts)
        return events

    def _exit(self, count: ZoneCount, person: int) -> EventBase:
        visit = count.visits.pop(person)
        dwell = round(visit.last_inside.pts - visit.entered.pts, 3)
        return self._event(ZoneExitEvent, person, visit.last_inside, zone=count.settings.name, dwell_s=dwell)

    def gone(self, person: int) -> list[EventBase]:
        """Close the visits of a person who left the view."""
        self.last_seen.pop(person, None)
        return [self._exit(count, person) for count in self.zones if person in count.visits]

    def _forget(self, now_pts: float) -> None:
        for person in [p for p, seen in self.last_seen.items() if now_pts - seen > FORGET_S]:
            self.last_seen.pop(person)

    def finish(self) -> list[EventBase]:
        """Exits for everyone still inside a zone when the run ends."""
        events = []
        for count in self.zones:
            events += [self._exit(count, person) for person in list(count.visits)]
        return events

    def views(self) -> list[RegionView]:
        """The zones and lines with their live counts, for the overlay."""
        views = [RegionView("zone", c.settings.name, list(c.settings.polygon), f"{c.settings.name}: {len(c.visits)} in, {c.entries} visits")
                 for c in self.zones]
        views += [RegionView("line", c.settings.name, [c.settings.start, c.settings.end],
                             f"{c.settings.name}: in {c.crossed['in']} / out {c.crossed['out']}") for c in self.lines]
        return views


class ZoneStage(Stage):
    """Adds zone and line events and the live counts (`regions`) to the results of sources with zones or lines."""

    name = "zones"

    def __init__(self, regions: dict[str, tuple[list[ZoneSettings], list[LineSettings]]]) -> None:
        self.sources = {source: SourceRegions(source, zones, lines) for source, (zones, lines) in regions.items() if zones or lines}

    def process(self, results: list[FrameResult]) -> None:
        """Count every result of a source that has zones or lines, in order."""
        for result in results:
            regions = self.sources.get(result.frame.source_id)
            if regions is None:
                continue
            result.events = [*result.events, *regions.update(result)]
            result.regions = regions.views()

    def finish(self) -> list[EventBase]:
        """Zone exits for the people still inside when the run ends."""
        return [event for regions in self.sources.values() for event in regions.finish()]
