"""`fashion-stream run`: build the pipeline from a validated config and report how it went."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

from engines.detector import DetectorSettings, YolosDetector
from engines.postprocess import PostprocessSettings
from engines.preprocess import SizeSettings
from stream.config import DetectorConfig, RunConfig, SinkConfig, SourceConfig, TrackingConfig
from stream.detect_job import prepare_output_dir
from stream.errors import StreamError
from stream.pipeline import Pipeline, PipelineSettings, SourceSpec
from stream.sinks import AnnotatedVideoSink, FramesFolderSink, JsonLinesSink, OutfitEventsSink, Sink
from stream.sources.readers import open_reader_for
from stream.sources.runner import ReconnectPolicy
from stream.tracking import StabilizerSettings, TrackingSettings

log = logging.getLogger(__name__)


def detector_settings_from(config: DetectorConfig) -> DetectorSettings:
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
    values = config.model_dump(exclude={"enabled", "person_model", "person_threshold", "colors", "stabilizer"})
    return TrackingSettings(stabilizer=StabilizerSettings(**config.stabilizer.model_dump()), **values)


def source_id_for(source: SourceConfig, index: int) -> str:
    """The configured id, else a file-system-safe name derived from the URI."""
    if source.id:
        return source.id
    stem = Path(source.uri.split("?")[0].rstrip("/")).stem if not source.live else source.uri
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or f"source{index}"


def build_sources(config: RunConfig) -> list[SourceSpec]:
    """Readers for every source; local files are checked up front so a typo fails at once."""
    if not config.sources:
        raise StreamError("no source: pass --source (file, folder, webcam index or URL) or list sources in the config")
    specs, used = [], set()
    for index, source in enumerate(config.sources):
        source_id = source_id_for(source, index)
        if source_id in used:
            source_id = f"{source_id}-{index}"
        used.add(source_id)
        reader = open_reader_for(source.uri, source.fps, source.open_timeout_s, source.stall_timeout_s)
        if not reader.live:
            reader.open()  # raises ReaderError for a missing file or a file that is not a video
            reader.close()
        retry = source.reconnect
        specs.append(SourceSpec(source_id, reader, source.effective_policy,  # type: ignore[arg-type]
                                ReconnectPolicy(retry.initial_s, retry.max_s, retry.jitter, retry.max_attempts),
                                source.realtime))
    return specs


def build_sinks(config: RunConfig, out_dir: Path, specs: list[SourceSpec]) -> list[tuple[Sink, bool]]:
    """The configured sinks; each waits for a lagging consumer unless a source is live."""
    live = any(s.live for s in specs)
    sinks: list[tuple[Sink, bool]] = []
    for sink in config.sinks:
        block = sink.block if sink.block is not None else not live
        sinks.append((_make_sink(sink, out_dir, specs), block))
    return sinks


def _make_sink(sink: SinkConfig, out_dir: Path, specs: list[SourceSpec]) -> Sink:
    if sink.type == "video":
        fps = {s.source_id: s.reader.fps for s in specs}
        return AnnotatedVideoSink(Path(sink.path) if sink.path else out_dir, fps)
    if sink.type == "jsonl":
        return JsonLinesSink(Path(sink.path) if sink.path else out_dir / "events.jsonl")
    if sink.type == "events":
        return OutfitEventsSink(Path(sink.path) if sink.path else out_dir / "outfit_events.jsonl")
    return FramesFolderSink(Path(sink.path) if sink.path else out_dir / "frames", every=sink.every)


def run(config: RunConfig) -> int:
    """Run the pipeline; 0 when every source ended normally (or on a requested stop), 1 otherwise."""
    out_dir = prepare_output_dir(Path(config.output_dir))
    specs = build_sources(config)  # opening the files also tells their frame rates
    detector = YolosDetector.from_settings(detector_settings_from(config.detector))
    person_settings = person_detector_settings_from(config)
    person_detector = YolosDetector.from_settings(person_settings) if person_settings else None
    sinks = build_sinks(config, out_dir, specs)
    settings = PipelineSettings(
        queue_size=config.queue.maxsize,
        batch_size=config.detector.batch_size,
        max_wait_ms=config.detector.max_wait_ms,
        detect_every=config.detector.detect_every,
        stats_interval_s=config.stats_interval_s,
        show_progress=config.progress,
        summary_path=out_dir / "run_summary.json",
        tracking=tracking_settings_from(config.tracking) if config.tracking.enabled else None,
        name_colors=config.tracking.enabled and config.tracking.colors,
    )
    summary = Pipeline(specs, detector, sinks, settings, person_detector=person_detector).run()
    return report(summary, out_dir)


def report(summary: dict, out_dir: Path) -> int:
    """Print the outcome; one error line per failed source or sink."""
    import sys

    problems = []
    for source_id, source in summary["sources"].items():
        if source["state"] == "failed":
            problems.append(f"source {source_id} failed after {source['frames_read']} frames: {source['error']}")
        elif source["truncated"]:
            problems.append(
                f"source {source_id} ended early at frame {source['frames_read']} of {source['frame_count']} (truncated or corrupt file)"
            )
    problems += [sink["error"] for sink in summary["sinks"].values() if sink["error"]]
    stats = summary["stats"]
    print(
        f"processed {stats['frames_processed']} frames ({stats['detector_runs']} detector runs) in {stats['elapsed_s']} s, "
        f"{stats['processed_fps']} fps; drops {sum(stats['drops'].values())}, "
        f"reconnects {sum(stats['reconnects'].values())}; outputs and run_summary.json in {out_dir}",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0
