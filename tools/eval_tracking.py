"""The outfit tracker on synthetic scenarios with ground truth (see `tools.scenarios`).

    python -m tools.eval_tracking [--seeds 3] [--frames 300] [--scenario NAME ...] [--mode person-model garments]
    python -m tools.eval_tracking --memory-frames 10000

Per scenario, over `--seeds` scenes: label switches per garment-minute in view, raw (per true
garment) and shown (the label on the garment box matched to each true garment, and on one
garment box: the switches of one track's label, leaving out the matched box changing);
share of shown labels that are wrong; outfit-slot accuracy (per frame and person, the share of
true garments the outfit shows with the right label); wrong-owner share (tracked garments given
to another person); slot_changed event precision (events that are a true change, followed
within 2 s of it being in view) and recall (true changes followed so); and for people ID switches, IDF1 and
HOTA (trackers.eval), with plain ByteTrack on the same person boxes for reference.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Any

import numpy as np
import supervision as sv
from trackers.eval import compute_clear_metrics, compute_hota_metrics, compute_identity_metrics

from stream.detections import match_boxes
from stream.io import format_table
from stream.tracking import OutfitTracker, TrackingSettings, adapter
from stream.tracking.persons import garment_slots, persons_from_garments
from tools.scenarios import Scenario, scenarios
from tools.synthetic_scenes import Detector, slot_of_item

FOLLOW_S = 2.0  # a true change counts as followed when its event comes within this, counting only time it was in view
MATCH_IOU = 0.3  # a tracker's box is about a true one when they overlap this much
SETTLED_S = 2.0  # a change counts when the garment was in view this long before it (the lock time): one seen
#                  for less (hidden behind someone until then) cannot be told from a first label corrected


def _switches(sequence: list[str]) -> int:
    return sum(a != b for a, b in zip(sequence, sequence[1:]))


def run_scene(scenario: Scenario, seed: int, person_model: bool, settings: TrackingSettings | None = None) -> dict[str, Any]:
    """One scene through the outfit tracker (and ByteTrack alone on the same person boxes)."""
    scene = scenario.build(seed)
    settings = (settings or TrackingSettings()).model_copy(update={"frame_rate": scene.fps})
    detector = Detector(scene, scenario.noise, seed + 1000)
    tracker = OutfitTracker(settings)
    baseline = adapter.make_tracker("bytetrack", settings.lost_track_for(person_model), scene.fps, settings.activation_threshold,
                                    settings.high_confidence, settings.min_iou)
    raw, shown = defaultdict(list), defaultdict(list)
    slot_right = slot_total = owner_wrong = owner_known = 0
    events, mapping = [], {}
    views: dict[tuple[int, str], list[int]] = defaultdict(list)  # (person, item) -> frames its place was in view
    identity: dict[str, tuple[list, list, list]] = {"ours": ([], [], []), "base": ([], [], [])}
    for frame in range(scene.frames):
        t = frame / scene.fps
        detections, truth = detector.frame(frame)
        persons = detector.people(truth) if person_model else None
        detected = frame % scenario.detect_every == 0
        output, new_events = tracker.update(detections if detected else sv.Detections.empty(), t, persons=persons, detected=detected)
        events += [(frame, e) for e in new_events]
        people_true = [g for g in truth if g["kind"] == "person"]
        true_boxes = np.array([g["box"] for g in people_true]).reshape(-1, 4)
        is_person = output.data["kind"] == "person" if len(output) else np.zeros(0, bool)
        people_out, garments_out = output[is_person], output[~is_person]
        pairs = match_boxes(np.asarray(people_out.xyxy).reshape(-1, 4), true_boxes, MATCH_IOU)
        mapping[frame] = {int(people_out.tracker_id[i]): people_true[j]["id"] for i, j in pairs.items()}
        if detected:
            base = adapter.update(baseline, persons if person_model else persons_from_garments(detections), t)
            for name, found in (("ours", people_out), ("base", base)):
                gt_ids, ids, sims = identity[name]
                gt_ids.append(np.array([g["id"] for g in people_true], dtype=int))
                ids.append(found.tracker_id.astype(int) if len(found) else np.zeros(0, int))
                sims.append(sv.box_iou_batch(true_boxes, np.asarray(found.xyxy).reshape(-1, 4)))
        by_true = {mapping[frame][pid]: pid for pid in mapping[frame]}
        slots = garment_slots(detections)
        for place in (g for g in truth if g["kind"] in ("garment", "removed") and not g["hidden"]):
            views[(place["id"], place["item"])].append(frame)
        for item in (g for g in truth if g["kind"] == "garment"):
            key = (item["id"], item["item"])
            if detected:
                in_slot = slots == item["slot"] if len(detections) else np.zeros(0, bool)
                hit = match_boxes(item["box"][None], detections.xyxy[in_slot], MATCH_IOU)
                if hit:
                    raw[key].append((str(detections.data["class_name"][in_slot][hit[0]]), item["label"]))
            same = garments_out.data["slot"] == item["slot"] if len(garments_out) else np.zeros(0, bool)
            hit = match_boxes(item["box"][None], np.asarray(garments_out.xyxy[same]).reshape(-1, 4), MATCH_IOU)
            if hit:
                row = {k: v[same][hit[0]] for k, v in garments_out.data.items()}
                shown[key].append((str(row["label"]), item["label"], int(garments_out.tracker_id[same][hit[0]])))
                owner = mapping[frame].get(int(row["person_id"]))
                if int(row["person_id"]) >= 0 and owner is not None:
                    owner_known += 1
                    owner_wrong += owner != item["id"]
            person = by_true.get(item["id"])
            if person is not None:
                slot_total += 1
                outfit = tracker.current_outfits.get(person, {})
                slot_right += any(k.split("/")[0] == item["slot"] and e["label"] == item["label"] for k, e in outfit.items())
    every = [(w.person_id, when, item, None if g is None else g[0]) for w in scene.walkers for when, item, g in w.changes]
    in_view = {key: np.array(frames) for key, frames in views.items()}
    changes = [c for c in every if np.sum(in_view.get((c[0], c[2]), np.zeros(0)) < c[1]) >= SETTLED_S * scene.fps]
    unseen = [c for c in every if c not in changes]
    return {"raw": raw, "shown": shown, "slot": (slot_right, slot_total), "owner": (owner_wrong, owner_known),
            "events": events, "mapping": mapping, "changes": changes, "unseen": unseen, "unseen_changes": len(unseen), "in_view": in_view,
            "fps": scene.fps, "identity": identity,
            "seconds": sum(len(v) for v in raw.values()) * scenario.detect_every / scene.fps}


def event_scores(scene: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """(slot_changed events that report a true change, all slot_changed events, true changes
    followed within 2 s, all true changes, followed changes whose event names the right new label).
    An event reports a true change when it is about the person and slot that changed and comes
    after it, within 2 s of it being in view (each change reported once): time its place was
    hidden behind someone nearer the camera does not count, since nobody can see a jacket taken
    off behind a passer-by until they pass. Changes to follow are those of garments
    in view for SETTLED_S before; an event that reports one of the others (seen too briefly to be
    expected) is still a true change: it counts for precision, not for recall."""
    fps, mapping = scene["fps"], scene["mapping"]
    settled = len(scene["changes"])
    every = scene["changes"] + scene["unseen"]
    reported, good, right = set(), 0, 0
    changed = [(frame, e) for frame, e in scene["events"] if e["event"] == "slot_changed"]
    for frame, event in changed:
        person = mapping.get(frame, {}).get(event["person"])
        for index, (pid, when, item, label) in enumerate(every):
            frames = scene["in_view"].get((pid, item), np.zeros(0))
            in_view_s = max(0, int(np.sum((frames >= when) & (frames <= frame))) - 1) / fps
            if person == pid and event["slot"].split("/")[0] == slot_of_item(item) \
                    and frame >= when and in_view_s <= FOLLOW_S and index not in reported:
                reported.add(index)
                good += 1
                right += index < settled and event["to"] == label
                break
    followed = [i for i in reported if i < settled]
    return good, len(changed), len(followed), settled, right


def identity_scores(gt: list, ids: list, sims: list) -> dict[str, float]:
    """ID switches, IDF1, MOTA and HOTA of one sequence (per frame: true ids, found ids, their IoUs)."""
    clear = compute_clear_metrics(gt, ids, sims)
    return {"IDSW": clear["IDSW"], "MOTA": clear["MOTA"], "IDF1": compute_identity_metrics(gt, ids, sims)["IDF1"],
            "HOTA": compute_hota_metrics(gt, ids, sims)["HOTA"]}


def identity_metrics(scenes: list[dict[str, Any]], which: str) -> dict[str, float]:
    """ID switches (summed), IDF1 and HOTA (averaged) over scenes."""
    totals: dict[str, float] = defaultdict(float)
    for scene in scenes:
        scores = identity_scores(*scene["identity"][which])
        totals["IDSW"] += scores["IDSW"]
        totals["IDF1"] += scores["IDF1"] / len(scenes)
        totals["HOTA"] += scores["HOTA"] / len(scenes)
    return dict(totals)


def summarize(scenes: list[dict[str, Any]]) -> dict[str, float]:
    """The metrics of a scenario over its scenes."""
    minutes = sum(s["seconds"] for s in scenes) / 60 or 1e-9  # garment-minutes in view
    raw_sw = sum(_switches([p[0] for p in v]) for s in scenes for v in s["raw"].values()) / minutes
    shown_sw = sum(_switches([p[0] for p in v]) for s in scenes for v in s["shown"].values()) / minutes
    same_sw = sum(sum(a[0] != b[0] and a[2] == b[2] for a, b in zip(v, v[1:])) for s in scenes for v in s["shown"].values()) / minutes
    shown = [p[:2] for s in scenes for v in s["shown"].values() for p in v]
    raw = [p for s in scenes for v in s["raw"].values() for p in v]
    good, events, followed, changes, right = (sum(x) for x in zip(*(event_scores(s) for s in scenes)))
    ours, base = identity_metrics(scenes, "ours"), identity_metrics(scenes, "base")
    return {
        "raw_sw": raw_sw, "stable_sw": shown_sw, "same_sw": same_sw, "raw_wrong": sum(a != b for a, b in raw) / max(1, len(raw)),
        "stable_wrong": sum(a != b for a, b in shown) / max(1, len(shown)),
        "slot_acc": sum(s["slot"][0] for s in scenes) / max(1, sum(s["slot"][1] for s in scenes)),
        "wrong_owner": sum(s["owner"][0] for s in scenes) / max(1, sum(s["owner"][1] for s in scenes)),
        "precision": good / events if events else float("nan"), "recall": followed / changes if changes else float("nan"),
        "events": events, "changes": changes, "right_label": right / followed if followed else float("nan"),
        "unseen_changes": sum(s["unseen_changes"] for s in scenes),
        "IDSW": ours["IDSW"], "IDF1": ours["IDF1"], "HOTA": ours["HOTA"],
        "base_IDSW": base["IDSW"], "base_IDF1": base["IDF1"],
    }


def table(results: list[tuple[str, str, dict[str, float]]]) -> str:
    """The evaluation table, one row per scenario and mode."""
    def pct(x: float) -> str:
        return "-" if x != x else f"{100 * x:.0f}%"

    def followed(m: dict[str, float]) -> str:
        unseen = f", {m['unseen_changes']} unseen" if m["unseen_changes"] else ""
        return f"{pct(m['recall'])} ({m['changes']}{unseen})"

    rows = [[name, mode, f"{m['raw_sw']:.1f}", f"{m['stable_sw']:.2f}", f"{m['raw_sw'] / max(m['stable_sw'], 1e-9):.0f}x",
             f"{m['same_sw']:.2f} ({m['raw_sw'] / max(m['same_sw'], 1e-9):.0f}x)",
             pct(m["raw_wrong"]), pct(m["stable_wrong"]), pct(m["slot_acc"]), pct(m["wrong_owner"]),
             f"{pct(m['precision'])} ({m['events']})", followed(m), pct(m["right_label"]),
             int(m["IDSW"]), f"{m['IDF1']:.2f}", f"{m['HOTA']:.2f}", f"{int(m['base_IDSW'])} / {m['base_IDF1']:.2f}"]
            for name, mode, m in results]
    return format_table(["scenario", "people", "raw sw/min", "stable sw/min", "fewer", "on one box sw/min", "raw wrong", "shown wrong", "slot acc",
                         "wrong owner", "event precision (n)", "followed <=2s (n)", "new label right", "IDSW", "IDF1", "HOTA",
                         "ByteTrack IDSW / IDF1"], rows)


def evaluate(names: list[str] | None, seeds: int, frames: int, modes: list[str]) -> list[tuple[str, str, dict[str, float]]]:
    """Every chosen scenario and mode over `seeds` scenes."""
    results = []
    for scenario in scenarios(frames):
        if names and scenario.name not in names:
            continue
        for mode in modes:
            scenes = [run_scene(scenario, seed, mode == "person-model") for seed in range(seeds)]
            results.append((scenario.name, mode, summarize(scenes)))
    return results


def memory_run(frames: int) -> list[list]:
    """The tracker over `frames` frames of crowds passing racks of garments (a new crowd every
    1000 frames): people, garments and resident memory every 1000 frames; all should stay flat."""
    from tools.scenarios import crowd
    from tools.synthetic_scenes import Noise

    tracker, rows = OutfitTracker(TrackingSettings()), []
    for block in range(max(1, frames // 1000)):
        detector = Detector(crowd(block, 1000, racks=True), Noise(confusion=0.3, burst_s=0.4), block)
        for f in range(1000):
            detections, truth = detector.frame(f)
            tracker.update(detections, (block * 1000 + f) / 25, persons=detector.people(truth))
        rss = next(int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmRSS"))
        rows.append([(block + 1) * 1000, len(tracker.people), len(tracker.garments), f"{rss:.1f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--scenario", nargs="+", help="names of scenarios (default: all)")
    parser.add_argument("--mode", nargs="+", default=["person-model", "garments"], choices=["person-model", "garments"])
    parser.add_argument("--memory-frames", type=int, default=0, help="only run the bounded-state check over this many frames")
    args = parser.parse_args()
    if args.memory_frames:
        print(format_table(["frames", "people", "garments", "RSS MB"], memory_run(args.memory_frames)))
        return
    results = evaluate(args.scenario, args.seeds, args.frames, args.mode)
    print(f"{args.seeds} scenes per scenario, {args.frames} frames at 25 fps; people from a person model or built from garments")
    print(table(results))


if __name__ == "__main__":
    main()
