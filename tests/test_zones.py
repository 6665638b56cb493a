"""Zones and counting lines on tracked people: entries, exits with dwell, crossings, bounded state."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from stream.analytics.settings import LineSettings, ZoneSettings
from stream.analytics.zones import SourceRegions
from stream.errors import StreamError
from stream.frames import Frame, FrameResult
from stream.pipeline import Pipeline, SourceSpec
from stream.sinks.python import CallbackSink
from tests.fakes import pipeline_config
from tools.walking_scene import WalkingScene

WINDOW = ZoneSettings(name="window", polygon=[(250, 0), (400, 0), (400, 360), (250, 360)])
DOOR = LineSettings(name="door", start=(500, 0), end=(500, 360))


def run_scene(scene: WalkingScene, zones=(WINDOW,), lines=(DOOR,)) -> list:
    """Every event of a run of the scene through the real pipeline (tracker with a person model)."""
    events: list = []
    sink = CallbackSink(lambda result: events.extend(result.events))
    spec = SourceSpec("cam", scene.reader(), zones=list(zones), lines=list(lines))
    pipeline = Pipeline([spec], scene.garment_detector(), [sink], pipeline_config(tracking=True), person_detector=scene.person_detector())
    pipeline.run()
    return events


def feet_inside_frames(scene: WalkingScene, person: int, x_range: tuple[float, float]) -> list[int]:
    walker = scene.people[person]
    return [i for i in range(walker.first, walker.last + 1) if x_range[0] <= walker.x0 + walker.speed * (i - walker.first) + 30 <= x_range[1]]


def test_people_walking_through_a_zone_and_over_a_line_are_counted_with_their_dwell():
    # one person left to right, one right to left later, at 10 fps, 9 px a frame
    scene = WalkingScene([(0, 59, 100, 50, 9.0), (20, 79, 120, 590, -9.0)], 90)
    events = run_scene(scene)
    enters = [e for e in events if e.event == "zone_enter"]
    exits = [e for e in events if e.event == "zone_exit"]
    crosses = [e for e in events if e.event == "line_cross"]
    appear = {e.person: e.frame for e in events if e.event == "appear"}
    assert len(appear) == 2 and len(enters) == 2 and len(exits) == 2 and len(crosses) == 2
    by_first_frame = sorted(appear, key=appear.get)
    for index, person in enumerate(by_first_frame):
        inside = feet_inside_frames(scene, index, (250, 400))
        enter = next(e for e in enters if e.person == person)
        leave = next(e for e in exits if e.person == person)
        assert enter.frame == inside[0] and enter.zone == "window"
        assert leave.frame == inside[-1]
        assert leave.dwell_s == pytest.approx((inside[-1] - inside[0]) / scene.FPS, abs=1e-3)
        assert leave.time == pytest.approx(enter.time + leave.dwell_s, abs=2e-3)  # the wall clock follows the video clock
    # the line is drawn top to bottom: left to right on screen is `in`, right to left `out`
    directions = {e.person: e.direction for e in crosses}
    assert directions == {by_first_frame[0]: "in", by_first_frame[1]: "out"}
    assert all(e.line_ == "door" and e.model_dump(by_alias=True)["line"] == "door" for e in crosses)


def test_a_person_standing_on_the_zone_edge_enters_once():
    """Feet jittering across the edge every frame for 10 s: one entry, one exit (after exit_after_s)."""
    regions = SourceRegions("cam", [WINDOW], [])
    events = []
    for index in range(100):
        x = 250 - 30 + (4 if index % 2 else -4)  # feet at x = 246 / 254
        events += regions.update(tracked_result(index, {7: (x, 100, x + 60, 300)}))
    events += regions.update(tracked_result(100, {7: (100, 100, 160, 300)}))
    for index in range(101, 125):
        events += regions.update(tracked_result(index, {7: (100, 100, 160, 300)}))
    kinds = [e.event for e in events]
    assert kinds == ["zone_enter", "zone_exit"], kinds
    assert events[1].dwell_s == pytest.approx(9.9 - 0.1, abs=0.11)


def test_region_state_stays_bounded_over_many_people():
    regions = SourceRegions("cam", [WINDOW], [DOOR])
    for index in range(6000):  # 10 minutes at 10 fps, a new person every 3 s, each in view 2 s
        person = index // 30
        people = {person: (200 + (index % 30) * 10, 100, 260 + (index % 30) * 10, 300)} if index % 30 < 20 else {}
        regions.update(tracked_result(index, people))
    assert len(regions.last_seen) <= 25 and all(len(z.visits) <= 25 for z in regions.zones)
    assert regions.zones[0].entries == 200


def tracked_result(index: int, people: dict[int, tuple]) -> FrameResult:
    frame = Frame("cam", index, index / 10, 1000.0 + index / 10, np.zeros((360, 640, 3), np.uint8))
    tracked = sv.Detections(xyxy=np.array(list(people.values()), float).reshape(-1, 4), tracker_id=np.array(list(people), int))
    tracked.data["kind"] = np.array(["person"] * len(people), dtype=object)
    return FrameResult(frame, sv.Detections.empty(), tracked=tracked)


@pytest.mark.parametrize("source, message", [
    ({"uri": "a.mp4", "zones": [{"name": "a", "polygon": [[0, 0], [1, 1]]}]}, "sources.0.zones.0.polygon"),
    ({"uri": "a.mp4", "zones": [{"name": "a", "polygon": [[0, 0], [1, 1], [0, 1]]}] * 2}, "zone names must be unique"),
    ({"uri": "a.mp4", "lines": [{"name": "d", "start": [5, 5], "end": [5, 5]}]}, "start == end"),
])
def test_bad_zones_and_lines_get_one_line_errors(source, message):
    from stream.config import parse_config

    with pytest.raises(StreamError, match=message) as error:
        parse_config({"sources": [source]}, "store.yaml")
    assert "\n" not in str(error.value)


def test_zones_without_tracking_are_refused():
    from stream.config import parse_config

    with pytest.raises(StreamError, match="need tracking.enabled"):
        parse_config({"sources": [{"uri": "a.mp4", "lines": [DOOR.model_dump()]}], "tracking": {"enabled": False}})
