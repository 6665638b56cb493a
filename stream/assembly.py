"""Building a pipeline from a run config: readers for the sources, the detector(s), and the
config's sinks (made afresh for each run, in an output folder that belongs to one run)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from engines.detector import YolosDetector
from stream.config import RunConfig, parse_config, read_config_file
from stream.errors import StreamError
from stream.frames import FrameResult
from stream.io import prepare_output_dir
from stream.sinks import SINKS, Sink, SinkSettings
from stream.sources.capture import missing_webcam
from stream.sources.readers import ReaderError, open_reader_for
from stream.sources.uri import default_source_id, is_network, is_webcam
from stream.tracking.persons import PERSON_LABEL

if TYPE_CHECKING:
    from stream.pipeline import Pipeline, SourceSpec

log = logging.getLogger(__name__)
SUMMARY_NAME = "run_summary.json"


def with_sources(data: dict[str, Any], sources: Sequence[str | dict], ids: Sequence[str] | None = None) -> dict[str, Any]:
    """A config mapping whose sources are `sources`, filled into the config's own sources in order
    (keeping their settings: timeouts, reconnect, policy, id); sources beyond the config's take
    the last config source's settings without its id. `ids` name them.

    Args:
        data: the config as a mapping.
        sources: URIs, or mappings of source settings.
        ids: optional ids, in the order of `sources`.

    Returns:
        A new mapping.
    """
    if ids and len(ids) > len(sources):
        raise StreamError(f"option --source-id: {len(ids)} ids for {len(sources)} --source value(s)")
    templates = list(data.get("sources") or [])
    filled = []
    for index, given in enumerate(sources):
        if index < len(templates):
            source = dict(templates[index])
        else:
            source = {key: value for key, value in templates[-1].items() if key != "id"} if templates else {}
        source.update(given if isinstance(given, dict) else {"uri": str(given)})
        if ids and index < len(ids):
            source["id"] = ids[index]
        filled.append(source)
    return {**data, "sources": filled}


def as_config(config: RunConfig | dict | str | Path | None, sources: Sequence[str | dict] | None = None) -> RunConfig:
    """A validated config from any of the forms the API accepts, with `sources` filled in."""
    if isinstance(config, RunConfig):
        data = config.model_dump()
        origin = "config"
    elif isinstance(config, dict):
        data, origin = config, "config"
    else:
        data, origin = read_config_file(config), str(config) if config else "config"
    if sources:
        data = with_sources(data, [s.model_dump() if isinstance(s, BaseModel) else s for s in sources])
    return parse_config(data, origin)


def build_sources(config: RunConfig) -> list[SourceSpec]:
    """Readers for every source. Local files, folders and webcams are checked up front so a
    typo fails at once; cameras and URLs are opened by the pipeline (and retried)."""
    from stream.pipeline import SourceSpec

    if not config.sources:
        raise StreamError("no source: pass --source (file, folder, webcam index or URL) or list sources in the config")
    specs, used = [], set()
    for index, source in enumerate(config.sources):
        source_id = source.id or default_source_id(source.uri, index)
        if source_id in used:
            source_id = f"{source_id}-{index}"
        used.add(source_id)
        reader = open_reader_for(source.uri, source.fps, source.open_timeout_s, source.stall_timeout_s)
        if is_webcam(source.uri):
            missing = missing_webcam(int(source.uri))
            if missing:
                raise ReaderError(missing, permanent=True)
        elif not is_network(source.uri):
            reader.open()  # raises ReaderError for a missing file or a file that is not a video
            reader.close()
        specs.append(SourceSpec(source_id, reader, source.policy, source.reconnect, source.realtime, source.zones, source.lines))
    return specs


def earlier_outputs(out_dir: Path) -> list[Path]:
    """What the earlier run in `out_dir` wrote, as its run_summary.json lists it (inside `out_dir` only)."""
    try:
        listed = json.loads((out_dir / SUMMARY_NAME).read_text()).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        return []
    root = out_dir.resolve()
    return [out_dir / p for p in listed if isinstance(p, str) and (out_dir / p).resolve().is_relative_to(root)]


def claim_outputs(paths: list[Path], out_dir: Path, overwrite: bool) -> None:
    """One run per output folder: outputs of an earlier run (this run's file names, and whatever
    the earlier run's summary lists: another source's video, say) are refused, or removed with
    `overwrite`.

    Raises:
        StreamError: naming the folder and the files already there.
    """
    existing = list(dict.fromkeys(p for p in [*paths, *earlier_outputs(out_dir)] if p.exists()))
    if not existing:
        return
    if not overwrite:
        names = ", ".join(str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in existing[:4])
        raise StreamError(f"output folder {out_dir} already holds an earlier run's outputs ({names}); "
                          "pass --overwrite to replace them, or choose another --out")
    for path in existing:
        log.info("--overwrite: removing %s", path)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


@dataclass
class RunParts:
    """The config-built sinks of a pipeline, made afresh (in a claimed output folder) for each run."""

    out_dir: Path
    source_ids: list[str]
    sinks: list[SinkSettings]
    overwrite: bool

    def outputs(self) -> list[Path]:
        """Every file or folder a run writes."""
        return [self.out_dir / SUMMARY_NAME] + [p for s in self.sinks for p in s.outputs(self.out_dir, self.source_ids)]

    def listed_outputs(self) -> list[str]:
        """The outputs inside the output folder, relative to it (as run_summary.json lists them)."""
        root = self.out_dir.resolve()
        return [str(p.resolve().relative_to(root)) for p in self.outputs() if p.resolve().is_relative_to(root)]

    def build_sinks(self) -> list[tuple[Sink, bool | None]]:
        """Check the output folder, then build every configured sink."""
        if not self.sinks:
            return []
        prepare_output_dir(self.out_dir)
        claim_outputs(self.outputs(), self.out_dir, self.overwrite)
        return [(SINKS.build(settings, out_dir=self.out_dir), settings.block) for settings in self.sinks]


def assemble(cls: type[Pipeline], config: RunConfig | dict | str | Path | None, sources: Sequence[str | dict] | None,
             on_result: Callable[[FrameResult], Any] | None, sinks: Sequence[Sink | dict | SinkSettings] | None) -> Pipeline:
    """`Pipeline.from_config`: see there."""
    run_config = as_config(config, sources)
    specs = build_sources(run_config)
    given: list[Sink] = []
    configured: list[SinkSettings] = list(run_config.sinks) if sinks is None else []
    for sink in sinks or []:
        if isinstance(sink, Sink):
            given.append(sink)
        else:
            entry = sink.model_dump() if isinstance(sink, BaseModel) else sink
            configured += parse_config({"sinks": [entry]}, "sinks").sinks
    parts = RunParts(Path(run_config.output_dir), [s.source_id for s in specs], configured, run_config.overwrite)
    if configured:  # an output folder that cannot be used fails before the model loads
        prepare_output_dir(parts.out_dir)
        if not parts.overwrite:
            claim_outputs(parts.outputs(), parts.out_dir, overwrite=False)
    detector = YolosDetector.from_settings(run_config.detector)
    person_settings = run_config.person_detector()
    try:
        person_detector = YolosDetector.from_settings(person_settings) if person_settings else None
        if person_detector is not None and PERSON_LABEL not in person_detector.id2label.values():
            person_detector.close()
            labels = ", ".join(list(person_detector.id2label.values())[:4])
            raise StreamError(f"tracking.person_model {run_config.tracking.person_model}: the model has no '{PERSON_LABEL}' label "
                              f"(it detects {labels}, ...); use one that finds people, e.g. hustvl/yolos-tiny")
    except BaseException:
        detector.close()
        raise
    summary_path = parts.out_dir / SUMMARY_NAME if configured else None
    return cls(specs, detector, given, run_config, person_detector, summary_path, on_result, parts)
