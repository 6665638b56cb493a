"""`fashion-stream run`: build the pipeline from a validated config and report how it went."""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from engines.detector import DetectorSettings, YolosDetector
from engines.postprocess import PostprocessSettings
from engines.preprocess import SizeSettings
from stream.config import DetectorConfig, RunConfig, SinkConfig, TrackingConfig
from stream.detect_job import prepare_output_dir
from stream.errors import StreamError
from stream.pipeline import Pipeline, PipelineSettings, SourceSpec
from stream.sinks import AnnotatedVideoSink, FramesFolderSink, JsonLinesSink, OutfitEventsSink, Sink
from stream.sources.readers import ReaderError, open_reader_for
from stream.sources.runner import ReconnectPolicy
from stream.sources.uri import default_source_id, is_network, is_webcam
from stream.tracking import StabilizerSettings, TrackingSettings

log = logging.getLogger(__name__)
SUMMARY_NAME = "run_summary.json"


def detector_settings_from(config: DetectorConfig) -> DetectorSettings:
    """The engine's settings from the run config's detector section."""
    return DetectorSettings(
        model=config.model,
        backend=config.backend,
        device=config.device,
        fp16=config.fp16,
        size=SizeSettings(*config.size, canvas=config.canvas),
        postprocess=PostprocessSettings(config.threshold, config.nms_iou, config.top_k),
        threads=config.threads,
        max_batch=max(config.max_batch, config.batch_size),
    )


def person_detector_settings_from(config: RunConfig) -> DetectorSettings | None:
    """The person model, on the garment detector's engine settings; None when people come from garments."""
    if not (config.tracking.enabled and config.tracking.person_model):
        return None
    return replace(detector_settings_from(config.detector), model=config.tracking.person_model,
                   postprocess=PostprocessSettings(config.tracking.person_threshold))


def tracking_settings_from(config: TrackingConfig) -> TrackingSettings:
    """The tracker's settings from the run config's tracking section."""
    values = config.model_dump(exclude={"enabled", "person_model", "person_threshold", "colors", "stabilizer"})
    return TrackingSettings(stabilizer=StabilizerSettings(**config.stabilizer.model_dump()), **values)


def build_sources(config: RunConfig) -> list[SourceSpec]:
    """Readers for every source. Local files, folders and webcams are checked up front so a
    typo fails at once; cameras and URLs are opened by the pipeline (and retried)."""
    if not config.sources:
        raise StreamError("no source: pass --source (file, folder, webcam index or URL) or list sources in the config")
    specs, used = [], set()
    for index, source in enumerate(config.sources):
        source_id = source.id or default_source_id(source.uri, index)
        if source_id in used:
            source_id = f"{source_id}-{index}"
        used.add(source_id)
        reader = open_reader_for(source.uri, source.fps, source.open_timeout_s, source.stall_timeout_s)
        if not is_network(source.uri):
            if is_webcam(source.uri):
                if not Path(f"/dev/video{source.uri}").exists() and sys.platform.startswith("linux"):
                    raise ReaderError(f"webcam {source.uri} not found (no /dev/video{source.uri})", permanent=True)
            else:
                reader.open()  # raises ReaderError for a missing file or a file that is not a video
                reader.close()
        retry = source.reconnect
        specs.append(SourceSpec(source_id, reader, source.policy,
                                ReconnectPolicy(retry.initial_s, retry.max_s, retry.jitter, retry.max_attempts, retry.stable_s),
                                source.realtime))
    return specs


def output_paths(config: RunConfig, out_dir: Path, source_ids: list[str]) -> list[Path]:
    """Every file or folder this run writes (the summary and each sink's outputs)."""
    paths = [out_dir / SUMMARY_NAME]
    for sink in config.sinks:
        if sink.type == "video":
            folder = Path(sink.path) if sink.path else out_dir
            paths += [folder / f"{source_id}.mp4" for source_id in source_ids]
        elif sink.type == "frames":
            folder = Path(sink.path) if sink.path else out_dir / "frames"
            paths += [folder / source_id for source_id in source_ids]
        else:
            paths.append(Path(sink.path) if sink.path else out_dir / ("events.jsonl" if sink.type == "jsonl" else "outfit_events.jsonl"))
    return paths


def claim_outputs(paths: list[Path], out_dir: Path, overwrite: bool) -> None:
    """One run per output folder: outputs of an earlier run are refused, or removed with `overwrite`.

    Raises:
        StreamError: naming the folder and the files already there.
    """
    existing = [p for p in paths if p.exists()]
    if not existing:
        return
    if not overwrite:
        names = ", ".join(str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in existing[:4])
        raise StreamError(f"output folder {out_dir} already holds an earlier run's outputs ({names}); "
                          "pass --overwrite to replace them, or choose another --out")
    for path in existing:
        log.info("--overwrite: removing %s", path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def build_sinks(config: RunConfig, out_dir: Path) -> list[tuple[Sink, bool | None]]:
    """The configured sinks; each waits for a lagging consumer unless `block: false` (or, by
    default, while a source is live)."""
    return [(_make_sink(sink, out_dir), sink.block) for sink in config.sinks]


def _make_sink(sink: SinkConfig, out_dir: Path) -> Sink:
    if sink.type == "video":
        return AnnotatedVideoSink(Path(sink.path) if sink.path else out_dir)
    if sink.type == "jsonl":
        return JsonLinesSink(Path(sink.path) if sink.path else out_dir / "events.jsonl")
    if sink.type == "events":
        return OutfitEventsSink(Path(sink.path) if sink.path else out_dir / "outfit_events.jsonl")
    return FramesFolderSink(Path(sink.path) if sink.path else out_dir / "frames", every=sink.every)


@contextlib.contextmanager
def stop_on_signals(pipeline: Pipeline) -> Iterator[None]:
    """Ctrl-C / SIGTERM: the first stops reading and drains the queue, the next ones drop the
    backlog; the outputs are finalized either way. The handlers found are put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if pipeline.interrupted:
            log.warning("%s again: dropping the queued frames; finalizing the outputs", name)
            pipeline.abort()
            return
        log.warning("%s: stopping, draining the queue and closing the outputs (again to drop the queue)", name)
        pipeline.interrupted = True
        pipeline.stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(config: RunConfig) -> int:
    """Run the pipeline; 0 when every source ended normally (or on a requested stop), 1 otherwise."""
    out_dir = prepare_output_dir(Path(config.output_dir))
    specs = build_sources(config)
    claim_outputs(output_paths(config, out_dir, [s.source_id for s in specs]), out_dir, config.overwrite)
    detector = YolosDetector.from_settings(detector_settings_from(config.detector))
    person_settings = person_detector_settings_from(config)
    person_detector = YolosDetector.from_settings(person_settings) if person_settings else None
    settings = PipelineSettings(
        queue_size=config.queue.maxsize,
        batch_size=config.detector.batch_size,
        max_wait_ms=config.detector.max_wait_ms,
        detect_every=config.detector.detect_every,
        stats_interval_s=config.stats_interval_s,
        show_progress=config.progress,
        summary_path=out_dir / SUMMARY_NAME,
        tracking=tracking_settings_from(config.tracking) if config.tracking.enabled else None,
        name_colors=config.tracking.enabled and config.tracking.colors,
    )
    try:
        pipeline = Pipeline(specs, detector, build_sinks(config, out_dir), settings, person_detector=person_detector)
        with stop_on_signals(pipeline):
            summary = pipeline.run()
    finally:
        detector.close()
        if person_detector is not None:
            person_detector.close()
    return report(summary, out_dir)


def report(summary: dict, out_dir: Path) -> int:
    """Print the outcome; one error line per failed source or sink."""
    problems = []
    if summary.get("fatal"):
        problems.append(f"the run stopped: {summary['fatal']}")
    for source_id, source in summary["sources"].items():
        if source["state"] == "failed":
            problems.append(f"source {source_id} failed after {source['frames_read']} frames: {source['error']}")
        elif source["truncated"]:
            problems.append(
                f"source {source_id} ended early at frame {source['frames_read']} of {source['frame_count']} (truncated or corrupt file)"
            )
        if source.get("skipped"):
            print(f"warning: source {source_id}: skipped {source['skipped']} unreadable frame(s) or image(s)", file=sys.stderr)
    if not summary.get("fatal"):
        problems += [sink["error"] for sink in summary["sinks"].values() if sink["error"]]
    if summary.get("summary_error"):
        problems.append(f"run summary: {summary['summary_error']}")
    stats = summary["stats"]
    print(
        f"processed {stats['frames_processed']} frames ({stats['detector_runs']} detector runs) in {stats['elapsed_s']} s, "
        f"{stats['processed_fps']} fps; drops {sum(stats['drops'].values())}, "
        f"reconnects {sum(stats['reconnects'].values())}; outputs in {out_dir}",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0
