"""Raw vs stabilized garment labels, and person tracking quality, on synthetic scenes with ground truth.

    python -m tools.eval_tracking [--frames 300] [--people 4] [--seeds 5] [--confusion 0.1 0.2 0.3 0.4]

Per confusion rate (a garment labelled as a look-alike class that often), over `--seeds` scenes:
label switches per garment per 100 frames, share of shown labels that are wrong, share of
frames with a label shown, frames needed to follow a true change (jacket taken off, cardigan
taken off), and for people: ID switches, IDF1, MOTA, HOTA of the outfit tracker vs ByteTrack
alone on the same person boxes (from garments, or from a simulated person detector).
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
import supervision as sv
from trackers.eval import compute_clear_metrics, compute_hota_metrics, compute_identity_metrics

from stream.io import format_table
from stream.tracking import OutfitTracker, StabilizerSettings, TrackingSettings
from stream.tracking.outfit_tracker import bytetrack_for, confirmed_tracks
from stream.tracking.persons import garment_slots, persons_from_garments
from tools.synthetic_scenes import Noise, detections_for, make_walkers, person_detections_for

FPS = 25.0


def _best_match(box: np.ndarray, boxes: np.ndarray, min_iou: float) -> int:
    if len(boxes) == 0:
        return -1
    ious = sv.box_iou_batch(box[None], boxes)[0]
    return int(ious.argmax()) if ious.max() >= min_iou else -1


def _switches(sequence: list[str]) -> int:
    return sum(a != b for a, b in zip(sequence, sequence[1:]))


def run_scene(seed: int, frames: int, people: int, noise: Noise, person_model: bool, settings: TrackingSettings) -> dict:
    """One scene through the outfit tracker and through plain ByteTrack; raw per-frame material for the metrics."""
    walkers = make_walkers(frames, people, seed)
    rng = np.random.default_rng(seed + 1000)
    tracker = OutfitTracker(settings)
    baseline = bytetrack_for(settings)  # the same ByteTrack settings, without the outfit layer
    raw, shown, visible = defaultdict(list), defaultdict(list), defaultdict(int)
    gt_ids, ours_ids, base_ids, ours_sim, base_sim = [], [], [], [], []
    events, person_at_change = [], {}
    changes = {(w.person_id, when, slot): label for w in walkers for when, slot, label in w.changes}
    for frame in range(frames):
        t = frame / FPS
        detections, truth = detections_for(walkers, frame, noise, rng)
        persons = person_detections_for(truth, noise, rng) if person_model else None
        output, new_events = tracker.update(detections, t, persons=persons)
        events += [dict(e, frame=frame) for e in new_events]
        base_boxes = persons if person_model else persons_from_garments(detections)
        base = confirmed_tracks(baseline, base_boxes, t)
        slots = garment_slots(detections)
        is_person = output.data["kind"] == "person" if len(output) else np.zeros(0, bool)
        people_out, garments_out = output[is_person], output[~is_person]
        true_people = [g for g in truth if g["kind"] == "person"]
        gt_boxes = np.array([g["box"] for g in true_people]).reshape(-1, 4)
        gt_ids.append(np.array([g["id"] for g in true_people], dtype=int))
        for ids, sims, found in ((ours_ids, ours_sim, people_out), (base_ids, base_sim, base)):
            ids.append(found.tracker_id.astype(int) if len(found) else np.zeros(0, int))
            sims.append(sv.box_iou_batch(gt_boxes, found.xyxy))
        for (pid, when, slot), _ in changes.items():  # who the tracker thinks the changing person is
            if when <= frame and person_at_change.get((pid, when, slot)) is None and len(people_out):
                box = next((g["box"] for g in true_people if g["id"] == pid), None)
                j = _best_match(box, people_out.xyxy, 0.3) if box is not None else -1
                person_at_change[(pid, when, slot)] = int(people_out.tracker_id[j]) if j >= 0 else None
        for item in (g for g in truth if g["kind"] == "garment"):
            key = (item["id"], item["slot"])
            visible[key] += 1
            in_slot = slots == item["slot"] if len(detections) else np.zeros(0, bool)
            i = _best_match(item["box"], detections.xyxy[in_slot], 0.3)
            if i >= 0:
                raw[key].append((detections.data["class_name"][in_slot][i], item["label"]))
            same_slot = garments_out.data["slot"] == item["slot"] if len(garments_out) else np.zeros(0, bool)
            j = _best_match(item["box"], garments_out.xyxy[same_slot], 0.3)
            if j >= 0:
                shown[key].append((garments_out.data["label"][same_slot][j], item["label"]))
    return {"raw": raw, "shown": shown, "visible": visible, "events": events, "changes": changes,
            "person_at_change": person_at_change,
            "ours": (gt_ids, ours_ids, ours_sim), "base": (gt_ids, base_ids, base_sim)}


def label_metrics(scenes: list[dict], which: str) -> dict:
    switches = wrong = labelled = seen = 0
    for scene in scenes:
        for pairs in scene[which].values():
            switches += _switches([p[0] for p in pairs])
            wrong += sum(p[0] != p[1] for p in pairs)
            labelled += len(pairs)
        seen += sum(scene["visible"].values())
    return {"switches_per_100": 100 * switches / max(seen, 1), "wrong": wrong / max(labelled, 1), "coverage": labelled / max(seen, 1)}


def follow_delays(scenes: list[dict], removal: bool) -> list[int]:
    """Frames from each true change (a label change, or a garment taken off) to the tracker's
    slot_changed event for that person and slot; -1 when it never came."""
    delays = []
    for scene in scenes:
        for (pid, when, slot), label in scene["changes"].items():
            if (label is None) != removal:
                continue
            person = scene["person_at_change"].get((pid, when, slot))
            hit = next((e["frame"] - when for e in scene["events"] if e["event"] == "slot_changed" and e["person"] == person
                        and e["slot"] == slot and e["to"] == label and e["frame"] >= when), None)
            delays.append(hit if hit is not None else -1)
    return delays


def tracking_metrics(scenes: list[dict], which: str) -> dict:
    totals = defaultdict(float)
    for scene in scenes:
        gt, ids, sims = scene[which]
        clear, ident, hota = compute_clear_metrics(gt, ids, sims), compute_identity_metrics(gt, ids, sims), compute_hota_metrics(gt, ids, sims)
        totals["IDSW"] += clear["IDSW"]
        for name, value in (("MOTA", clear["MOTA"]), ("IDF1", ident["IDF1"]), ("HOTA", hota["HOTA"])):
            totals[name] += value / len(scenes)
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--people", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=StabilizerSettings().alpha, help="stabilizer evidence weight")
    parser.add_argument("--k", type=int, default=StabilizerSettings().switch_updates, help="stabilizer switch_updates")
    parser.add_argument("--confusion", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4])
    args = parser.parse_args()
    settings = TrackingSettings(frame_rate=FPS, stabilizer=StabilizerSettings(alpha=args.alpha, switch_updates=args.k))
    k = settings.stabilizer.switch_updates
    label_rows, track_rows = [], []
    for person_model in (False, True):
        for confusion in args.confusion:
            noise = Noise(confusion=confusion)
            scenes = [run_scene(seed, args.frames, args.people, noise, person_model, settings) for seed in range(args.seeds)]
            mode = "person model" if person_model else "from garments"
            raw, stable = label_metrics(scenes, "raw"), label_metrics(scenes, "shown")
            followed = {}
            for removal in (False, True):
                delays = follow_delays(scenes, removal)
                hits = [d for d in delays if d >= 0]
                followed[removal] = f"{len(hits)}/{len(delays)}" + (f", {np.median(hits):.0f} / {max(hits)}" if hits else "")
            label_rows.append([mode, confusion, f"{raw['switches_per_100']:.2f}", f"{stable['switches_per_100']:.2f}",
                               f"{raw['switches_per_100'] / max(stable['switches_per_100'], 1e-9):.1f}x",
                               f"{raw['wrong']:.3f}", f"{stable['wrong']:.3f}", f"{stable['coverage']:.2f}",
                               followed[False], followed[True]])
            ours, base = tracking_metrics(scenes, "ours"), tracking_metrics(scenes, "base")
            for name, m in (("outfit tracker", ours), ("ByteTrack alone", base)):
                track_rows.append([mode, confusion, name, int(m["IDSW"]), f"{m['IDF1']:.3f}", f"{m['MOTA']:.3f}", f"{m['HOTA']:.3f}"])
    print(f"labels: {args.seeds} scenes x {args.frames} frames, {args.people} people; K = {k}")
    print(format_table(["persons", "confusion", "raw sw/100", "stable sw/100", "fewer", "raw wrong", "stable wrong",
                        "stable coverage", "label change: followed, delay med / max", "taken off: followed, delay med / max"], label_rows))
    print("\npeople")
    print(format_table(["persons", "confusion", "tracker", "ID switches", "IDF1", "MOTA", "HOTA"], track_rows))


if __name__ == "__main__":
    main()
