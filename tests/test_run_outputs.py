"""Outputs a user can rely on: one run per folder, finalized on a double Ctrl-C and on a full disk,
flushed during an outage, failed sinks visible; errors that name the option; resources released.
Each test is a regression test for a defect found by using the CLI."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.pipeline import Pipeline, SourceSpec
from stream.sinks import EndEvents, JsonLinesSink, Sink, SinkWorker
from stream.sources import ReconnectSettings
from tests.fakes import CountingDetector, ScriptedReader, pipeline_config, run_cli, wait_for
from tests.media import decodable_frames, write_h264, write_video

REPO = Path(__file__).resolve().parents[1]



def _cli(*args):
    return [sys.executable, "-m", "stream.cli", *map(str, args)]


def test_a_second_run_into_the_same_folder_is_refused_unless_overwrite(tiny_checkpoint, tmp_path, capsys):
    """Regression: re-running into a folder appended to the JSON-lines files while the MP4 and the
    summary were replaced: two runs mixed, frame 0 twice."""
    video = write_video(tmp_path / "clip.mp4", frames=5)
    out = tmp_path / "out"
    args = ["run", "--source", str(video), "--model", str(tiny_checkpoint), "--out", str(out), "--no-progress"]
    assert run_cli(args, capsys)[0] == 0
    rc, err = run_cli(args, capsys)
    assert rc == 2 and err.startswith(f"error: output folder {out} already holds an earlier run's outputs") and "--overwrite" in err
    assert run_cli([*args, "--overwrite"], capsys)[0] == 0
    frames = [json.loads(line)["frame"] for line in (out / "events.jsonl").read_text().splitlines()]
    assert frames == list(range(5))


def test_a_second_ctrl_c_drops_the_backlog_but_every_output_is_finalized(tiny_checkpoint, tmp_path):
    """Regression: a second Ctrl-C during shutdown left later sinks unclosed (an MP4 without its
    index), skipped run_summary.json and left the signal handlers installed."""
    video = write_h264(tmp_path / "long.mp4", frames=3000)
    out = tmp_path / "out"
    process = subprocess.Popen(_cli("run", "--source", video, "--model", tiny_checkpoint, "--out", out, "--no-progress",
                                    "--threshold", "0.05", "--batch-size", "2"),
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: (out / "events.jsonl").exists() and (out / "events.jsonl").stat().st_size > 10_000, 120)
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    summary = json.loads((out / "run_summary.json").read_text())
    processed = summary["stats"]["frames_processed"]
    assert summary["interrupted"] and 0 < processed < 3000
    assert decodable_frames(out / "long.mp4") >= processed - 2  # a complete, playable file
    assert len((out / "events.jsonl").read_text().splitlines()) == processed
    events = [json.loads(line) for line in (out / "outfit_events.jsonl").read_text().splitlines()]
    appeared = {e["person"] for e in events if e["event"] == "appear"}
    assert appeared == {e["person"] for e in events if e["event"] == "leave"}  # the final leave events got through


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit then fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("disk", ["file-size limit", "full tmpfs"])
def test_a_full_disk_stops_the_run_with_one_line_naming_the_file_and_keeps_what_was_written(disk, tiny_checkpoint, tmp_path):
    """Regression: write errors of the video sink went unchecked (exit 0, an MP4 with 0 decodable
    frames); with every sink failed the run went on, then died writing a 0-byte run_summary.json
    with an error naming no path."""
    video = write_video(tmp_path / "clip.mp4", frames=400, size=(320, 192), noise_rows=24)  # about 2.5 KB a frame as H.264
    out = tmp_path / "out"
    limit = None
    if disk == "full tmpfs":
        if not _tmpfs(out, "300k"):
            pytest.skip("cannot mount a tmpfs here (needs root)")
    else:
        limit = _limit_file_size(150_000)  # the first video fragment, boxes and outfits drawn on noise, must fit
    try:
        done = subprocess.run(_cli("run", "--source", video, "--model", tiny_checkpoint, "--out", out, "--no-progress",
                                   "--threshold", "0.0", "--sink", "video,jsonl"),
                              cwd=REPO, capture_output=True, text=True, timeout=600, preexec_fn=limit)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
        assert done.returncode == 1, done.stderr
        assert errors[0].startswith("error: the run stopped: every output failed:"), done.stderr
        assert str(out / "clip.mp4") in errors[0] and str(out / "events.jsonl") in errors[0]
        assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
        records = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]  # no torn last line
        assert records and [r["frame"] for r in records] == list(range(len(records)))
        assert decodable_frames(out / "clip.mp4") > 0  # the fragments written before the disk filled
        # the sinks cut their files back to complete records, which often frees room for the
        # summary; when it does not, that is one more line naming the file, and no torn file is left
        if (out / "run_summary.json").exists():
            summary = json.loads((out / "run_summary.json").read_text())
            assert summary["fatal"] and summary["stats"]["frames_processed"] < 400
        else:
            assert any(line.startswith(f"error: run summary: cannot write {out / 'run_summary.json'}") for line in errors), done.stderr
            assert not list(out.glob(".*.tmp"))
    finally:
        if disk == "full tmpfs":
            subprocess.run(["umount", str(out)], capture_output=True)


def _outage_pipeline(tmp_path, sink, detector_delay_s=0.0):
    reader = ScriptedReader(opens=[True], frames_per_session=3, live=True)  # 3 frames, then lost for a long while
    spec = SourceSpec("door", reader, "drop_oldest", ReconnectSettings(initial_s=30, max_attempts=None))
    detector = CountingDetector(delay_s=detector_delay_s)
    pipeline = Pipeline([spec], detector, [(sink, False)], pipeline_config(stats_interval_s=3600))
    import threading

    thread = threading.Thread(target=pipeline.run)
    thread.start()
    return pipeline, thread


def test_records_reach_the_disk_during_an_outage_and_the_stats_line_shows_it(tmp_path):
    """Regression: JSON lines read before an outage stayed unflushed until the next frame came
    (10 s seen), and the stats line showed cumulative fps, stale latency and no source state.
    The detector is slow so that the source is lost before its frames are processed (CI saw
    that order by chance)."""
    sink = JsonLinesSink(tmp_path / "events.jsonl", flush_every=1000, flush_s=1000)
    pipeline, thread = _outage_pipeline(tmp_path, sink, detector_delay_s=0.2)
    try:
        assert wait_for(lambda: pipeline.runners[0].state.value == "reconnecting", 5)
        lines = lambda: (tmp_path / "events.jsonl").read_text().splitlines()  # noqa: E731
        assert wait_for(lambda: len(lines()) == 3, 3), "the records waited for a frame that does not come"
        # the source is lost once its reader is, which can be before the consumer has taken its
        # last frames from the queue: the interval that saw the frames ends once all are counted
        assert wait_for(lambda: pipeline.stats.processed["door"] == 3, 3)
        pipeline.stats_line()  # the interval that saw the frames
        time.sleep(0.2)
        line = pipeline.stats_line()
        assert "door reconnecting in 0.0 out 0.0 fps" in line and "e2e p50/p95 -/- ms" in line, line
    finally:
        pipeline.stop()
        thread.join(10)


class _SlowSink(Sink):
    name = "slow"

    def __init__(self, write_s=0.0, close_s=0.0):
        self.write_s, self.close_s, self.results, self.events = write_s, close_s, 0, None

    def write(self, result):
        time.sleep(self.write_s)
        self.results += 1

    def write_events(self, events):
        self.events = events

    def close(self):
        time.sleep(self.close_s)


def test_the_end_of_run_events_reach_a_lagging_non_blocking_sink():
    """Regression: the final `leave` events were dropped by sinks that do not wait."""
    sink = _SlowSink(write_s=0.05)
    worker = SinkWorker(sink, maxsize=2, block=False)
    for _ in range(20):
        worker.submit(object())
    worker.submit(EndEvents([{"event": "leave", "person": 1}]))
    worker.close()
    assert worker.dropped > 0 and sink.events == [{"event": "leave", "person": 1}]


def test_a_sink_that_overruns_its_close_timeout_is_reported():
    """Regression: a sink still finalizing was left running behind a finished run, unreported."""
    worker = SinkWorker(_SlowSink(close_s=2.0))
    started = time.monotonic()
    worker.close(timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert worker.failed and "did not finish closing within 0 s" in worker.error


def test_a_bad_command_line_value_names_the_option_not_the_config_file(tiny_checkpoint, tmp_path, capsys):
    """Regression: an error in a CLI option was reported as an error in the config file."""
    video = write_video(tmp_path / "clip.mp4", frames=2)
    rc, err = run_cli(["run", "--config", "configs/offline.yaml", "--source", str(video), "--batch-size", "0",
                    "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and err.startswith("error: option --batch-size: bad value for 'detector.batch_size'") and "offline.yaml" not in err


def test_debug_shows_the_traceback_with_its_cause(tmp_path):
    """Regression: `--debug` showed a traceback cut off from its cause (`from None`)."""
    bad = tmp_path / "ckpt"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    photo = tmp_path / "p.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(photo), np.zeros((32, 32, 3), np.uint8))
    quiet = subprocess.run(_cli("detect", photo, "--model", bad, "--out", tmp_path / "o"), cwd=REPO, capture_output=True, text=True)
    loud = subprocess.run(_cli("--debug", "detect", photo, "--model", bad, "--out", tmp_path / "o"), cwd=REPO, capture_output=True, text=True)
    assert quiet.returncode == loud.returncode == 2
    assert "Traceback" not in quiet.stderr and quiet.stderr.strip().startswith("error:")
    assert "The above exception was the direct cause of the following exception" in loud.stderr


def test_the_fp16_conversion_cache_is_never_left_half_written(tmp_path, monkeypatch, tiny_checkpoint):
    """Regression: the FP16 ONNX cache file was written in place, so a crash mid-write left a
    broken file under the final name, used on every later run."""
    import onnx

    from engines.export_onnx import export_onnx
    from engines.onnx_model import read_model_info
    from engines.tensorrt_engine import onnx_for_precision

    path = export_onnx(str(tiny_checkpoint), tmp_path / "m.onnx", (64, 96))

    def crash(model, target, *args, **kwargs):
        Path(target).write_bytes(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx, "save", crash)
    with pytest.raises(OSError):
        onnx_for_precision(path, read_model_info(path), "fp16", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_closed_detector_releases_its_engine(tiny_checkpoint):
    from engines import DetectorSettings, EngineError, YolosDetector

    with YolosDetector.from_settings(DetectorSettings(model=str(tiny_checkpoint), device="cpu")) as detector:
        backend = detector.backend
    assert backend.model is None
    with pytest.raises(EngineError, match="closed"):
        detector.detect([__import__("numpy").zeros((32, 32, 3), "uint8")])


def test_a_summary_that_cannot_be_written_is_one_line_naming_it(tmp_path, capsys):
    from stream.run_job import report

    (tmp_path / "taken").write_text("a file where the folder should be")
    source = SourceSpec("file", ScriptedReader([True], frames_per_session=3, live=False), "block")
    summary = Pipeline([source], CountingDetector(), [],
                       pipeline_config(), summary_path=tmp_path / "taken" / "run_summary.json").run()
    assert summary["stats"]["frames_processed"] == 3
    assert report(summary, tmp_path) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(f"error: run summary: cannot write {tmp_path / 'taken' / 'run_summary.json'}")


def test_overwrite_also_removes_what_an_earlier_run_on_another_source_wrote(tiny_checkpoint, tmp_path, capsys):
    """Regression: --overwrite removed only this run's file names, so the earlier run's video of
    another source stayed beside the new run's records."""
    out = tmp_path / "out"
    first, second = write_video(tmp_path / "first.mp4", frames=3), write_video(tmp_path / "second.mp4", frames=3)
    base = ["--model", str(tiny_checkpoint), "--out", str(out), "--no-progress"]
    assert run_cli(["run", "--source", str(first), *base], capsys)[0] == 0
    assert (out / "first.mp4").exists()
    rc, err = run_cli(["run", "--source", str(second), *base], capsys)
    assert rc == 2 and "already holds an earlier run's outputs" in err
    assert run_cli(["run", "--source", str(second), *base, "--overwrite"], capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["events.db", "events.jsonl", "outfit_events.jsonl", "run_summary.json", "second.mp4"]
