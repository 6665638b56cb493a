"""Sinks: draw and store results, never infer. Each runs on its own thread (`SinkWorker`).

Every module of this folder is imported here, so a sink defined in a new file registers itself
(`@SINKS.register(...)`) and a run config can name its `type`.
"""

from pathlib import Path

from stream.registry import import_all
from stream.sinks.base import SINKS, EndEvents, Sink, SinkSettings, SinkWorker

import_all(__name__, Path(__file__).parent)

from stream.sinks.frames_folder import FramesFolderSink  # noqa: E402 - after the registry is filled
from stream.sinks.jsonl import JsonLinesSink  # noqa: E402
from stream.sinks.outfit_events import OutfitEventsSink  # noqa: E402
from stream.sinks.video import AnnotatedVideoSink  # noqa: E402

__all__ = ["SINKS", "AnnotatedVideoSink", "EndEvents", "FramesFolderSink", "JsonLinesSink", "OutfitEventsSink", "Sink",
           "SinkSettings", "SinkWorker"]
