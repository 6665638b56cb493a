import json

import cv2
import numpy as np
import pytest
import supervision as sv

from tests.conftest import shared_file
from tests.fakes import run_cli
from tests.media import decodable_frames, write_video


def test_offline_run_writes_a_video_with_every_frame(tiny_checkpoint, tmp_path, capsys):
    video = write_video(tmp_path / "clip.mp4", frames=40)
    out = tmp_path / "out"
    rc, err = run_cli(["run", "--config", "configs/offline.yaml", "--source", str(video), "--model", str(tiny_checkpoint),
                    "--out", str(out), "--threshold", "0.1", "--batch-size", "4", "--no-progress"], capsys)
    assert rc == 0, err
    assert decodable_frames(out / "clip.mp4") == 40
    records = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(40)) and records[0]["items"]
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["sources"]["clip"]["state"] == "ended" and summary["stats"]["frames_processed"] == 40


def test_real_footage_annotated_video_keeps_the_frame_count(tiny_checkpoint, tmp_path, capsys):
    video = shared_file("people_walking.mp4")
    out = tmp_path / "out"
    rc, err = run_cli(["run", "--config", "configs/offline.yaml", "--source", str(video), "--model", str(tiny_checkpoint),
                    "--out", str(out), "--detect-every", "5", "--batch-size", "2", "--no-progress"], capsys)
    assert rc == 0, err
    assert decodable_frames(out / "people_walking.mp4") == decodable_frames(video) == 1394
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
    rc, err = run_cli(["run", "--source", str(cut), "--model", str(tiny_checkpoint), "--out", str(out), "--no-progress"], capsys)
    summary = json.loads((out / "run_summary.json").read_text())
    read = summary["sources"]["cut"]["frames_read"]
    assert rc == 1 and 0 < read < 60, err
    assert f"source cut ended early at frame {read} of 60" in err
    assert decodable_frames(out / "cut.mp4") == read
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
    video = write_video(tmp_path / "ok.mp4", frames=3)
    values = {"notvideo": tmp_path / "notes.mp4", "badkey": tmp_path / "badkey.yaml",
              "badvalue": tmp_path / "badvalue.yaml", "video": video}
    full = [a.format(**values) for a in args] + ["--model", str(tiny_checkpoint), "--out", str(tmp_path / "o")] * (
        "--out" not in args)
    rc, err = run_cli(full, capsys)
    assert rc == 2, err
    lines = [line for line in err.strip().splitlines() if line.startswith("error")]
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err


def test_a_person_model_without_a_person_label_is_refused_in_one_line(tiny_checkpoint, tmp_path, capsys):
    """Regression: a garment checkpoint given as the person model ran silently with nobody tracked."""
    video = write_video(tmp_path / "clip.mp4", frames=5, size=(320, 192))
    rc, err = run_cli(["run", "--source", str(video), "--model", str(tiny_checkpoint), "--person-model", str(tiny_checkpoint),
                       "--out", str(tmp_path / "out"), "--no-progress"], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and "no 'person' label" in lines[-1] and str(tiny_checkpoint) in lines[-1] and "Traceback" not in err


def test_person_model_supplies_the_people_and_garments_get_their_colour(tiny_checkpoint, tmp_path, capsys):
    """A COCO-style checkpoint (with a `person` label) runs beside the garment model: every
    tracked person is one of its boxes, and outfits carry the colour of the (all green) frames."""
    from engines.detector import YolosDetector
    from stream.config import parse_config
    from tools.make_checkpoint import make_checkpoint

    people_model = make_checkpoint(tmp_path / "people", seed=1, id2label={0: "person", 1: "car", 2: "dog"})
    video = write_video(tmp_path / "green.mp4", frames=30, size=(320, 192), color=(40, 160, 40))
    config = tmp_path / "run.yaml"
    config.write_text("tracking:\n  person_threshold: 0.2\n  owner_ioa: 0.01\n")
    out = tmp_path / "out"
    rc, err = run_cli(["run", "--config", str(config), "--source", str(video), "--model", str(tiny_checkpoint),
                    "--person-model", str(people_model), "--out", str(out), "--threshold", "0.1", "--no-progress"], capsys)
    assert rc == 0, err

    settings = parse_config({"tracking": {"person_model": str(people_model), "person_threshold": 0.2}}).person_detector()
    people_detector = YolosDetector.from_settings(settings)
    capture = cv2.VideoCapture(str(video))
    records = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    tracked_people = 0
    for record in records:
        image = capture.read()[1]
        found = people_detector.detect([image])[0]
        person_boxes = found.xyxy[found.data["class_name"] == "person"]
        for item in record["tracks"]:
            if item["kind"] == "person":
                tracked_people += 1
                assert sv.box_iou_batch(np.array([item["box"]]), person_boxes).max() > 0.9, (record["frame"], item)
        assert all(item["color"] == "green" for item in record["items"])
    assert tracked_people >= 20  # confirmed after a few frames, then on every frame

    events = [json.loads(line) for line in (out / "outfit_events.jsonl").read_text().splitlines()]
    appeared = {e["person"] for e in events if e["event"] == "appear"}
    assert appeared and appeared == {e["person"] for e in events if e["event"] == "leave"}
    outfits = [e["outfit"] for e in events if e["event"] == "leave" and e["outfit"]]
    assert outfits and all(entry["color"] == "green" for outfit in outfits for entry in outfit.values())


def test_terminal_shows_only_our_lines_not_opencv_or_ffmpeg_chatter(tiny_checkpoint, tmp_path):
    """In a fresh process (FFmpeg reads its log level once): a non-video gives exactly one error
    line, and a normal run prints no FFmpeg note about the H.264 encoders it tries."""
    import subprocess
    import sys

    (tmp_path / "notes.mp4").write_text("not a video")
    video = write_video(tmp_path / "ok.mp4", frames=3)
    for source, expected_rc in ((tmp_path / "notes.mp4", 2), (video, 0)):
        done = subprocess.run([sys.executable, "-m", "stream.cli", "run", "--source", str(source), "--model", str(tiny_checkpoint),
                               "--out", str(tmp_path / "out"), "--no-progress"], capture_output=True, text=True, timeout=300)
        lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("INFO ")]
        assert done.returncode == expected_rc, done.stderr
        assert len(lines) == 1 and lines[0].startswith("error: not a readable video" if expected_rc else "processed 3 frames"), done.stderr
