"""People walking across a 640x360 scene, as a frame reader and two scripted detectors that agree
(garments and people): the real pipeline, tracker, zones and sinks run on it, only the model is
replaced. Used by the analytics tests and `tools.demo_store`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import supervision as sv

from stream.sources.readers import ReaderError

TOPS = {"top, t-shirt, sweatshirt": "tops", "shirt, blouse": "tops", "sweater": "tops"}
BOTTOMS = {"pants": "bottoms", "skirt": "bottoms", "shorts": "bottoms"}
SUPER = {"tops": "upperbody", "bottoms": "lowerbody", "wholebody": "wholebody"}


@dataclass
class Walker:
    """One person: in view from `first` to `last` (frames), head at `top`, x at `first`, px per frame,
    and what they wear (top, bottom or `dress`, and a colour name)."""

    first: int
    last: int
    top: float
    x0: float
    speed: float
    upper: str = "top, t-shirt, sweatshirt"
    lower: str = "pants"
    color: str = "blue"


class SceneReader:
    """Frames of the scene with their index written into the first pixel; a finite source."""

    live = False

    def __init__(self, frames: int, fps: float, size: tuple[int, int], pace_s: float = 0.0) -> None:
        self.frames, self.fps, self.size, self.pace_s = frames, fps, size, pace_s
        self.frame_count: int | None = frames
        self.skipped = 0
        self.truncated = False
        self.total = 0
        self.start_time: float | None = None
        self._open = False

    def open(self) -> None:
        if self._open:
            raise ReaderError("the scene plays once", permanent=True)
        self._open = True

    def read(self) -> tuple[np.ndarray, float] | None:
        if self.total >= self.frames:
            return None
        if self.pace_s:
            time.sleep(self.pace_s)  # frames arrive like a camera's, `pace_s` apart
        w, h = self.size
        image = np.full((h, w, 3), 90, np.uint8)
        image[0, 0, 0], image[0, 0, 1], image[0, 0, 2] = self.total % 256, (self.total // 256) % 256, self.total // 65536
        self.total += 1
        return image, (self.total - 1) / self.fps

    def close(self) -> None:
        pass


class WalkingScene:
    """The scene: who walks where, and the detections a perfect model would give."""

    W, H, FPS = 640, 360, 10.0

    def __init__(self, people: list[tuple[int, int, float, float, float]] | list[Walker], frames: int, fps: float = 10.0) -> None:
        self.people = [p if isinstance(p, Walker) else Walker(*p) for p in people]
        self.frames = frames
        self.FPS = fps
        self._by_frame: dict[int, list[Walker]] = {}
        for walker in self.people:
            for index in range(walker.first, min(walker.last, frames - 1) + 1):
                self._by_frame.setdefault(index, []).append(walker)

    def in_view(self, index: int) -> list[tuple[Walker, tuple[float, float, float, float]]]:
        """The people in view at a frame, with their boxes (60x200 px)."""
        out = []
        for walker in self._by_frame.get(index, []):
            x = walker.x0 + walker.speed * (index - walker.first)
            out.append((walker, (x, walker.top, x + 60, walker.top + 200)))
        return out

    def boxes(self, index: int) -> list[tuple[float, float, float, float]]:
        """Person boxes in view at a frame."""
        return [box for _, box in self.in_view(index)]

    def reader(self, pace_s: float = 0.0) -> SceneReader:
        """A reader that plays the scene once, each frame `pace_s` seconds after the last."""
        return SceneReader(self.frames, self.FPS, (self.W, self.H), pace_s)

    @staticmethod
    def index(image: np.ndarray) -> int:
        return int(image[0, 0, 0]) + 256 * int(image[0, 0, 1]) + 65536 * int(image[0, 0, 2])

    @staticmethod
    def _detections(rows: list[tuple[list[float], str, str, str, str]]) -> sv.Detections:
        if not rows:
            return sv.Detections.empty()
        det = sv.Detections(xyxy=np.array([r[0] for r in rows], float), confidence=np.full(len(rows), 0.9),
                            class_id=np.zeros(len(rows), int))
        det.data.update(class_name=np.array([r[1] for r in rows]), group=np.array([r[2] for r in rows]),
                        supercategory=np.array([r[3] for r in rows]), color=np.array([r[4] for r in rows]))
        return det

    def garments(self, index: int) -> sv.Detections:
        """A top and a bottom stacked on each person (or one dress)."""
        rows = []
        for walker, (x1, y1, x2, y2) in self.in_view(index):
            if walker.upper == "dress":
                rows.append(([x1 + 5, y1 + 40, x2 - 5, y2 - 20], "dress", "wholebody", "wholebody", walker.color))
                continue
            top_group, bottom_group = TOPS.get(walker.upper, "tops"), BOTTOMS.get(walker.lower, "bottoms")
            rows.append(([x1 + 5, y1 + 40, x2 - 5, y1 + 110], walker.upper, top_group, SUPER[top_group], walker.color))
            rows.append(([x1 + 8, y1 + 105, x2 - 8, y2 - 10], walker.lower, bottom_group, SUPER[bottom_group], "black"))
        return self._detections(rows)

    def garment_detector(self):
        """A detector answering the scene's garments."""
        scene = self

        class Garments:
            def detect(self, frames):
                return [scene.garments(scene.index(frame)) for frame in frames]

        return Garments()

    def person_detector(self):
        """A person detector answering the scene's people."""
        scene = self

        class Persons:
            def detect(self, frames):
                return [scene._detections([(list(b), "person", "other", "unknown", "") for b in scene.boxes(scene.index(f))])
                        for f in frames]

        return Persons()
