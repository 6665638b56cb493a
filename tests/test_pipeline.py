import json
import os
import signal
import threading

import pytest

from stream.pipeline import Pipeline, SourceSpec
from stream.run_job import stop_on_signals
from stream.sinks import JsonLinesSink, Sink
from stream.sources import ReconnectSettings
from tests.fakes import CountingDetector, ScriptedReader, pipeline_config


class RecordingSink(Sink):
    name = "recording"

    def __init__(self, fail_on: int | None = None, delay_s: float = 0.0):
        self.results, self.fail_on, self.delay_s, self.closed = [], fail_on, delay_s, False

    def write(self, result):
        if self.fail_on is not None and len(self.results) + 1 >= self.fail_on:
            raise OSError("disk full")
        self.results.append(result)

    def close(self):
        self.closed = True


def _file_source(n, source_id="file"):
    return SourceSpec(source_id, ScriptedReader([True], frames_per_session=n, live=False), "block")


def test_every_frame_of_every_source_arrives_in_order_with_batching():
    sink = RecordingSink()
    detector = CountingDetector()
    pipeline = Pipeline([_file_source(30, "a"), _file_source(20, "b")], detector, [(sink, True)],
                        pipeline_config(queue=4, batch=4, max_wait_ms=5))
    summary = pipeline.run()
    for source_id, n in [("a", 30), ("b", 20)]:
        assert [r.frame.index for r in sink.results if r.frame.source_id == source_id] == list(range(n))
    assert summary["stats"]["frames_processed"] == 50 and summary["stats"]["drops"] == {}
    assert detector.calls < 50  # frames were batched
    assert sink.closed


def test_detect_every_runs_the_detector_on_every_nth_frame_and_reuses_between():
    sink = RecordingSink()
    detector = CountingDetector()
    Pipeline([_file_source(10)], detector, [(sink, True)],
             pipeline_config(batch=3, detect_every=3)).run()
    assert detector.frames_seen == 4  # frames 0, 3, 6, 9
    assert [r.reused for r in sink.results] == [i % 3 != 0 for i in range(10)]
    means = [float(r.detections.data["mean"][0]) for r in sink.results]
    assert means[1] == means[2] == means[0] and means[3] != means[0]


def test_drop_oldest_bounds_latency_when_the_detector_is_slower_than_the_source():
    reader = ScriptedReader([True], frames_per_session=400, live=True)
    sink = RecordingSink()
    spec = SourceSpec("cam", reader, "drop_oldest", ReconnectSettings(max_attempts=0))
    summary = Pipeline([spec], CountingDetector(delay_s=0.01), [(sink, False)],
                       pipeline_config(queue=4)).run()
    processed = summary["stats"]["frames_processed"]
    assert summary["sources"]["cam"]["dropped"] > 0
    assert processed + summary["sources"]["cam"]["dropped"] == summary["sources"]["cam"]["frames_read"]
    # never more than the queue's worth of frames waiting ahead of a result
    assert summary["stats"]["latency"]["queue_wait"]["p95_ms"] < 5 * 4 * 10 + 100


def test_a_failing_sink_does_not_stop_the_others(tmp_path):
    good = JsonLinesSink(tmp_path / "events.jsonl")
    bad = RecordingSink(fail_on=3)
    summary = Pipeline([_file_source(25)], CountingDetector(), [(bad, True), (good, True)],
                       pipeline_config()).run()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["frame"] for line in lines] == list(range(25))
    assert "disk full" in summary["sinks"]["recording"]["error"] and bad.closed


def test_a_crashing_detector_still_finalizes_outputs_and_frees_the_reader(tmp_path):
    sink = JsonLinesSink(tmp_path / "events.jsonl", flush_every=1000, flush_s=1000)
    pipeline = Pipeline([_file_source(500)], CountingDetector(fail_after=7), [(sink, True)],
                        pipeline_config(queue=2))
    with pytest.raises(RuntimeError, match="detector crashed"):
        pipeline.run()
    assert len((tmp_path / "events.jsonl").read_text().splitlines()) == 7
    assert all(not runner._thread.is_alive() for runner in pipeline.runners)


def test_sigint_stops_reading_drains_and_closes(tmp_path):
    sink = JsonLinesSink(tmp_path / "events.jsonl", flush_every=1000, flush_s=1000)
    pipeline = Pipeline([_file_source(100000)], CountingDetector(delay_s=0.002), [(sink, True)],
                        pipeline_config(queue=8))
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background (nohup, CI runners)
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with stop_on_signals(pipeline):
        summary = pipeline.run()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert summary["interrupted"] and 0 < summary["stats"]["frames_processed"] < 100000
    assert len(lines) == summary["stats"]["frames_processed"] == summary["sources"]["file"]["frames_read"]
    assert signal.getsignal(signal.SIGINT) is before  # the handler the run found is put back
