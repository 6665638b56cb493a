"""fashion-stream: garments, people and stable outfits on video, as a library and a command.

    from stream import Pipeline

    pipeline = Pipeline.from_config("configs/offline.yaml", sources=["video.mp4"], sinks=[])
    for result in pipeline.results():          # FrameResult: frame, detections, people, garments, outfits, events
        print(result.frame.index, len(result.detections), result.outfits)

Zones and lines: `sources=[{"uri": "v.mp4", "zones": [{"name": "window", "polygon": [[0, 0], [320, 0], [320, 360]]}]}]`
(`ZoneSettings`, `LineSettings`); their events arrive in `result.events`. Also: `on_result=callback`,
`start()` / `stop()` / `join()`, your own `Sink`, and `RunConfig` (the one settings model the CLI shares). Detection alone: `engines.YolosDetector`.
"""

from engines import DetectorSettings, EngineError, YolosDetector
from stream.analytics.settings import LineSettings, ZoneSettings
from stream.config import RunConfig, load_config
from stream.errors import StreamError
from stream.frames import Frame, FrameResult
from stream.pipeline import Pipeline
from stream.records import AppearEvent, FrameRecord, LeaveEvent, LineCrossEvent, OutfitSlot, OutfitStableEvent, SlotChangedEvent, ZoneEnterEvent, ZoneExitEvent
from stream.sinks import SINKS, Sink, SinkSettings
from stream.stages import STAGES, Stage, StageSettings

__all__ = [
    "SINKS", "STAGES", "AppearEvent", "DetectorSettings", "EngineError", "Frame", "FrameRecord", "FrameResult", "LeaveEvent",
    "LineCrossEvent", "LineSettings", "OutfitSlot", "OutfitStableEvent", "Pipeline", "RunConfig", "Sink", "SinkSettings",
    "SlotChangedEvent", "Stage", "StageSettings", "StreamError", "YolosDetector", "ZoneEnterEvent", "ZoneExitEvent", "ZoneSettings",
    "load_config",
]
