"""JSON-lines files rotated by size or age on long runs: nothing lost, every line whole, in order."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import supervision as sv

from stream.frames import Frame, FrameResult
from stream.records import outfit_event
from stream.sinks.jsonl import JsonLinesSettings, JsonLinesSink
from stream.sinks.outfit_events import OutfitEventsSettings


def test_jsonl_rotates_by_size_and_keeps_every_record_in_order(tmp_path):
    settings = JsonLinesSettings(rotate_mb=0.002)  # about 2 KB a file
    sink = JsonLinesSink.from_settings(settings, tmp_path)
    for index in range(300):
        frame = Frame("cam", index, index / 10, 1000 + index / 10, np.zeros((4, 4, 3), np.uint8), live=True)
        sink.write(FrameResult(frame, sv.Detections.empty()))
    sink.close()
    files = settings.outputs(tmp_path, ["cam"])
    rotated, current = files[1:], files[0]
    assert len(rotated) >= 3 and all(re.fullmatch(r"events\.\d{8}T\d{6}\.\d{6}Z\.jsonl", p.name) for p in rotated)
    frames = [json.loads(line)["frame"] for path in [*rotated, current] for line in path.read_text().splitlines()]
    assert frames == list(range(300))


def test_events_rotate_by_age(tmp_path):
    settings = OutfitEventsSettings(rotate_s=1.0)
    from stream.sinks.outfit_events import OutfitEventsSink

    sink = OutfitEventsSink.from_settings(settings, tmp_path)
    for index in range(3):
        sink.write_events([outfit_event({"event": "appear", "source": "cam", "frame": index, "pts": 0.0, "time": 1.0, "person": index})])
        time.sleep(1.1)
    sink.close()
    files = settings.outputs(tmp_path, ["cam"])
    people = [json.loads(line)["person"] for path in [*files[1:], files[0]] for line in path.read_text().splitlines()]
    assert len(files) >= 3 and people == [0, 1, 2]


def test_a_write_cut_short_keeps_every_whole_line_that_fit(tmp_path):
    """Regression: a flush that hit a full disk / file-size limit part-way gave up the whole batch
    (25 records), even the lines that had reached the disk whole; the first flush of a run could
    leave an empty file."""
    import subprocess
    import sys

    script = f"""
import json, resource, signal, sys
sys.path.insert(0, {str(__import__("pathlib").Path(__file__).resolve().parents[1])!r})
from stream.io import LineFile
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))
lines = LineFile({str(tmp_path / "events.jsonl")!r})
for i in range(100):
    lines.append({{"frame": i, "pad": "x" * 80}})
try:
    lines.flush()
except OSError as exc:
    print(exc.strerror, lines.lines)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    sizes = np.cumsum([len(json.dumps({"frame": i, "pad": "x" * 80}) + "\n") for i in range(100)])
    assert [r["frame"] for r in records] == list(range(len(records))) and len(records) == int((sizes <= 5000).sum()) > 40
    assert done.stdout.split()[-1] == str(len(records))
