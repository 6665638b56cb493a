import json

import cv2
import numpy as np
import pytest

from stream.cli import main
from tests.conftest import shared_file


def _count_frames(path):
    capture, n = cv2.VideoCapture(str(path)), 0
    while capture.read()[0]:
        n += 1
    return n


def _write_video(path, frames, size=(160, 96), fps=10):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def _run(args, capsys):
    try:
        rc = main(args)
    except SystemExit as exit_:
        rc = exit_.code
    return rc, capsys.readouterr().err


def test_offline_run_writes_a_video_with_every_frame(tiny_checkpoint, tmp_path, capsys):
    video = _write_video(tmp_path / "clip.mp4", frames=40)
    out = tmp_path / "out"
    rc, err = _run(["run", "--config", "configs/offline.yaml", "--source", str(video), "--model", str(tiny_checkpoint),
                    "--out", str(out), "--threshold", "0.1", "--batch-size", "4", "--no-progress"], capsys)
    assert rc == 0, err
    assert _count_frames(out / "clip.mp4") == 40
    records = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(40)) and records[0]["items"]
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["sources"]["clip"]["state"] == "ended" and summary["stats"]["frames_processed"] == 40


def test_real_footage_annotated_video_keeps_the_frame_count(tiny_checkpoint, tmp_path, capsys):
    video = shared_file("people_walking.mp4")
    out = tmp_path / "out"
    rc, err = _run(["run", "--config", "configs/offline.yaml", "--source", str(video), "--model", str(tiny_checkpoint),
                    "--out", str(out), "--detect-every", "5", "--batch-size", "2", "--no-progress"], capsys)
    assert rc == 0, err
    assert _count_frames(out / "people_walking.mp4") == _count_frames(video) == 1394
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["stats"]["detector_runs"] <= 1394 // 5 + 2


def test_truncated_video_is_processed_up_to_the_break_and_reported(tiny_checkpoint, tmp_path, capsys):
    # An AVI whose tail is lost (a recording cut off): the header still says 60 frames and
    # FFmpeg reads the frames that remain without the index.
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 96))
    rng = np.random.default_rng(0)
    for _ in range(60):
        writer.write(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
    writer.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    out = tmp_path / "out"
    rc, err = _run(["run", "--source", str(cut), "--model", str(tiny_checkpoint), "--out", str(out), "--no-progress"], capsys)
    summary = json.loads((out / "run_summary.json").read_text())
    read = summary["sources"]["cut"]["frames_read"]
    assert rc == 1 and 0 < read < 60, err
    assert f"source cut ended early at frame {read} of 60" in err
    assert _count_frames(out / "cut.mp4") == read
    assert len((out / "events.jsonl").read_text().splitlines()) == read


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--source", "missing.mp4"], "error: video not found: missing.mp4"),
        (["run", "--source", "{notvideo}"], "error: not a readable video"),
        (["run", "--config", "{badkey}", "--source", "x.mp4"], "unknown key 'detector.treshold' (allowed here: model,"),
        (["run", "--config", "{badvalue}", "--source", "x.mp4"], "bad value for 'sources.0.policy'"),
        (["run", "--config", "missing.yaml"], "error: config file not found: missing.yaml"),
        (["run", "--source", "{video}", "--out", "{notvideo}/sub"], "cannot create output directory"),
        (["run", "--source", "{video}", "--batch-size", "0"], "bad value for 'detector.batch_size'"),
        (["run"], "error: no source"),
    ],
)
def test_bad_run_input_gives_one_line_error(args, message, tmp_path, capsys, tiny_checkpoint):
    (tmp_path / "notes.mp4").write_text("not a video")
    (tmp_path / "badkey.yaml").write_text("detector:\n  treshold: 0.4\n")
    (tmp_path / "badvalue.yaml").write_text("sources:\n  - uri: a.mp4\n    policy: newest\n")
    video = _write_video(tmp_path / "ok.mp4", frames=3)
    values = {"notvideo": tmp_path / "notes.mp4", "badkey": tmp_path / "badkey.yaml",
              "badvalue": tmp_path / "badvalue.yaml", "video": video}
    full = [a.format(**values) for a in args] + ["--model", str(tiny_checkpoint), "--out", str(tmp_path / "o")] * (
        "--out" not in args)
    rc, err = _run(full, capsys)
    assert rc == 2, err
    lines = [line for line in err.strip().splitlines() if line.startswith("error")]
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err
