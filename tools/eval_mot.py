"""Person tracking on MOTChallenge-format sequences: the outfit tracker's person tracks, and
ByteTrack alone, scored against the ground truth with `trackers.eval` (CLEAR, identity, HOTA).

    python -m tools.eval_mot [--sequence DIR ...] [--fps 25]

A sequence folder holds the ground truth (`gt.txt` or `gt/gt.txt`) and detections: the public
detections (`det.txt` or `det/det.txt`) or, failing those, `test.txt` (another tracker's output,
its ids ignored). Rows are `frame, id, left, top, width, height, confidence, ...` (frames from
1); ground-truth rows whose 7th column is 0 are not scored. Without `--sequence`, the
TUD-Campus and TUD-Stadtmitte sequences (MOT15) that the `motmetrics` package ships are used
when it is installed (`pip install motmetrics`).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
import supervision as sv

from stream.io import format_table
from stream.tracking import OutfitTracker, TrackingSettings, adapter
from tools.eval_tracking import identity_scores


class MotDataError(Exception):
    """A sequence folder or file that cannot be used."""


def read_mot(path: Path, scored_only: bool = False) -> dict[int, np.ndarray]:
    """Frame number -> rows of (id, x1, y1, x2, y2, confidence) from a MOTChallenge text file."""
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as exc:
        raise MotDataError(f"cannot read {path}: {exc}") from exc
    if table.size and table.shape[1] < 7:
        raise MotDataError(f"{path}: expected at least 7 comma-separated columns, found {table.shape[1]}")
    if scored_only and table.size:
        table = table[table[:, 6] != 0]
    rows: dict[int, np.ndarray] = {}
    for frame in np.unique(table[:, 0]).astype(int) if table.size else []:
        part = table[table[:, 0] == frame]
        boxes = np.column_stack([part[:, 2], part[:, 3], part[:, 2] + part[:, 4], part[:, 3] + part[:, 5]])
        confidence = np.where(part[:, 6] == -1, 1.0, part[:, 6])  # -1: "no score" (tracker outputs)
        rows[int(frame)] = np.column_stack([part[:, 1], boxes, confidence])
    return rows


def sequence_files(folder: Path) -> tuple[Path, Path]:
    """The ground-truth and detection files of a sequence folder."""
    if not folder.is_dir():
        raise MotDataError(f"sequence folder not found: {folder}")
    def first(*names: str) -> Path | None:
        return next((folder / n for n in names if (folder / n).is_file()), None)

    gt, detections = first("gt.txt", "gt/gt.txt"), first("det.txt", "det/det.txt", "test.txt")
    if gt is None or detections is None:
        missing = "gt.txt" if gt is None else "det.txt or test.txt"
        raise MotDataError(f"{folder}: no {missing} (a MOTChallenge sequence folder is needed)")
    return gt, detections


def bundled_sequences() -> list[Path]:
    """TUD-Campus and TUD-Stadtmitte from the `motmetrics` package, if it is installed."""
    spec = importlib.util.find_spec("motmetrics")
    if spec is None or not spec.submodule_search_locations:
        return []
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    return [data / name for name in ("TUD-Campus", "TUD-Stadtmitte") if (data / name).is_dir()]


def _as_detections(rows: np.ndarray | None) -> sv.Detections:
    if rows is None or len(rows) == 0:
        return sv.Detections.empty()
    return sv.Detections(xyxy=rows[:, 1:5].astype(np.float32), confidence=rows[:, 5].astype(np.float32),
                         class_id=np.zeros(len(rows), dtype=int))


def bytetrack(settings: TrackingSettings):
    """Plain ByteTrack with the tracking settings: the reference the outfit tracker is compared with."""
    return adapter.make_tracker("bytetrack", settings.lost_track_for(person_model=True), settings.frame_rate, settings.activation_threshold,
                                settings.high_confidence, settings.min_iou)


def track_sequence(gt: dict[int, np.ndarray], detections: dict[int, np.ndarray], settings: TrackingSettings) -> dict:
    """Every frame's detections through the outfit tracker (people only) and through ByteTrack alone."""
    tracker, baseline = OutfitTracker(settings), bytetrack(settings)
    gt_ids, found = [], {"ours": ([], []), "base": ([], [])}
    last = max([*gt, *detections], default=0)
    for frame in range(1, last + 1):
        t = (frame - 1) / settings.frame_rate
        persons = _as_detections(detections.get(frame))
        output, _ = tracker.update(sv.Detections.empty(), t, persons=persons)
        ours = output[output.data["kind"] == "person"] if len(output) else output
        base = adapter.update(baseline, persons, t)
        truth = gt.get(frame, np.zeros((0, 6)))
        gt_ids.append(truth[:, 0].astype(int))
        for name, tracks in (("ours", ours), ("base", base)):
            ids, sims = found[name]
            ids.append(tracks.tracker_id.astype(int) if len(tracks) else np.zeros(0, int))
            sims.append(sv.box_iou_batch(truth[:, 1:5], tracks.xyxy))
    return {name: (gt_ids, ids, sims) for name, (ids, sims) in found.items()}


def file_tracks(gt: dict[int, np.ndarray], tracks: dict[int, np.ndarray]) -> tuple[list, list, list]:
    """Ground truth ids, a tracker file's own ids and their IoUs, per frame (trackers.eval's input)."""
    gt_ids, ids, sims = [], [], []
    for frame in range(1, max([*gt, *tracks], default=0) + 1):
        truth, found = gt.get(frame, np.zeros((0, 6))), tracks.get(frame, np.zeros((0, 6)))
        gt_ids.append(truth[:, 0].astype(int))
        ids.append(found[:, 0].astype(int))
        sims.append(sv.box_iou_batch(truth[:, 1:5], found[:, 1:5]))
    return gt_ids, ids, sims


def evaluate(folder: Path, fps: float) -> list[list]:
    """Table rows (outfit tracker, ByteTrack alone) for one sequence folder."""
    gt_path, det_path = sequence_files(folder)
    gt, detections = read_mot(gt_path, scored_only=True), read_mot(det_path)
    result = track_sequence(gt, detections, TrackingSettings(frame_rate=fps))
    identities = len({int(i) for rows in gt.values() for i in rows[:, 0]})
    labels = [("ours", "outfit tracker"), ("base", "ByteTrack alone")]
    if det_path.name == "test.txt":  # another tracker's output: score its own ids too, for reference
        result["file"] = file_tracks(gt, detections)
        labels.append(("file", "test.txt's own ids"))
    rows = []
    for name, label in labels:
        m = identity_scores(*result[name])
        rows.append([folder.name, max(gt, default=0), identities, det_path.name, label, int(m["IDSW"]),
                     f"{m['IDF1']:.3f}", f"{m['MOTA']:.3f}", f"{m['HOTA']:.3f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequence", type=Path, nargs="+", help="MOTChallenge sequence folders (default: motmetrics' TUD data)")
    parser.add_argument("--fps", type=float, default=25.0, help="frame rate of the sequences (TUD: 25)")
    args = parser.parse_args()
    folders = args.sequence or bundled_sequences()
    if not folders:
        sys.exit("error: no MOTChallenge data: pass --sequence DIR (gt.txt + det.txt or test.txt), "
                 "or pip install motmetrics, which ships TUD-Campus and TUD-Stadtmitte")
    try:
        rows = [row for folder in folders for row in evaluate(folder, args.fps)]
    except MotDataError as exc:
        sys.exit(f"error: {exc}")
    print(format_table(["sequence", "frames", "people", "detections", "tracker", "ID switches", "IDF1", "MOTA", "HOTA"], rows))


if __name__ == "__main__":
    main()
