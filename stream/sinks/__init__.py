"""Sinks: draw and store results, never infer. Each runs on its own thread (`SinkWorker`)."""

from stream.sinks.base import EndEvents, Sink, SinkWorker
from stream.sinks.frames_folder import FramesFolderSink
from stream.sinks.jsonl import JsonLinesSink
from stream.sinks.outfit_events import OutfitEventsSink
from stream.sinks.video import AnnotatedVideoSink

__all__ = ["AnnotatedVideoSink", "EndEvents", "FramesFolderSink", "JsonLinesSink", "OutfitEventsSink", "Sink", "SinkWorker"]
