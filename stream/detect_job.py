"""`fashion-stream detect`: garments in still images -> one JSON and one annotated PNG per image."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from tqdm import tqdm

from engines.attributes import AttributeScorer
from engines.detector import YolosDetector
from stream.annotate import GarmentAnnotator
from stream.errors import ImageReadError, StreamError
from stream.image_files import IMAGE_SUFFIXES, find_images, read_image
from stream.io import format_table, group_counts, prepare_output_dir, write_json_atomically
from stream.tagging import ImageTagger, image_document


@dataclass
class DetectReport:
    """What a detect job did: per-image group counts and the images it could not read."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def table(self, groups: tuple[str, ...]) -> str:
        """Counts per group, one row per image and a total row."""
        rows = [[name, *(c[g] for g in groups), sum(c.values())] for name, c in self.counts.items()]
        total = sum(self.counts.values(), Counter())
        rows.append(["TOTAL", *(total[g] for g in groups), sum(total.values())])
        return format_table(["image", *groups, "all"], rows)


def _unique_stem(path: Path, used: set[str]) -> str:
    stem, n = path.stem, 2
    while stem in used:
        stem, n = f"{path.stem}-{n}", n + 1
    used.add(stem)
    return stem


def collect_images(inputs: list[str]) -> list[Path]:
    """The image paths named by `inputs`; an error when none of them exists."""
    images = find_images(inputs)
    if not any(path.exists() for path in images):
        if len(images) == 1:
            raise ImageReadError(f"image not found: {images[0]}")
        raise StreamError(f"no images found in {', '.join(inputs)} (looked for {', '.join(IMAGE_SUFFIXES)})")
    return images


def run_detect(images: list[Path], detector: YolosDetector, out_dir: Path, show_progress: bool = True,
               scorer: AttributeScorer | None = None, min_score: float = 0.5) -> DetectReport:
    """Detect garments (with colours, and attributes when a scorer is given) in every image;
    unreadable ones are reported and skipped, the rest still written."""
    out_dir = prepare_output_dir(out_dir)
    annotator_cache: dict[tuple[int, int], GarmentAnnotator] = {}
    report, used_stems = DetectReport(), set[str]()
    tagger = ImageTagger(detector, scorer, min_score)
    for path in tqdm(images, desc="detect", unit="img", disable=not show_progress or len(images) < 2):
        try:
            frame = read_image(path)
        except ImageReadError as exc:
            report.failures.append(str(exc))
            tqdm.write(f"error: {exc}", file=sys.stderr)
            continue
        detections = tagger.tag([frame])[0]
        stem = _unique_stem(path, used_stems)
        write_json_atomically(out_dir / f"{stem}.json",
                              image_document(str(path), frame, detections, detector.settings.model, detector.settings.threshold))
        annotator = annotator_cache.setdefault(frame.shape[:2], GarmentAnnotator(frame.shape[:2]))
        if not cv2.imwrite(str(out_dir / f"{stem}.png"), annotator.annotate(frame, detections)):
            raise StreamError(f"cannot write {out_dir / f'{stem}.png'}")
        report.counts[path.name if path.name not in report.counts else str(path)] = group_counts(detections)
    return report
