"""Garment attributes: the shipped ontology is Fashionpedia's, shares are a softmax per group that
applies to the label, crops are batched, prompt embeddings cached per model, and on video the
stage samples each garment track a few times instead of every frame, with bounded state."""

from __future__ import annotations

import json

import numpy as np
import pytest
import supervision as sv

from engines.attributes import AttributeScorer, AttributeSettings, load_ontology
from engines.attributes.scorer import PAD_GREY, square_crop
from engines.errors import ModelLoadError
from engines.taxonomy import load_taxonomy
from stream.cli import main
from stream.frames import Frame, FrameResult
from stream.stages.attributes import AttributeStage, AttributeStageSettings
from tests.conftest import shared_file
from tools.make_checkpoint import make_checkpoint, make_clip


@pytest.fixture(scope="module")
def scorer(tiny_clip, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("FASHION_STREAM_CACHE", str(tmp_path_factory.mktemp("cache")))
    return AttributeScorer(AttributeSettings(model=str(tiny_clip)))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_shipped_ontology_is_fashionpedias():
    fashionpedia = json.loads(shared_file("fashionpedia_sample/category_attributes_descriptions.json").read_text())
    expected = {a["id"]: (a["name"], a["supercategory"]) for a in fashionpedia["attributes"]}
    from importlib import resources

    import yaml

    shipped = yaml.safe_load((resources.files("engines.attributes") / "fashionpedia_attributes.yaml").read_text())
    found = {int(i): (name, group["ontology_group"]) for group in shipped["groups"].values() for i, name in group["attributes"].items()}
    assert found == expected and len(found) == 294
    assert load_ontology().attribute_count == 294


def test_groups_follow_the_label_and_name_real_detector_labels():
    ontology, taxonomy = load_ontology(), load_taxonomy()
    for label in ontology.by_label:
        assert label in taxonomy.labels, f"{label!r} is not a detector label"
    for name, info in taxonomy.labels.items():
        groups = {g.name for g in ontology.groups_for(name)}
        if info.group in ("tops", "bottoms", "wholebody", "outerwear"):
            assert {"textile pattern", "silhouette", "length"} <= groups, name
        if info.supercategory in ("closures", "decorations"):
            assert not groups, name
    dress = {g.name: g for g in ontology.groups_for("dress")}
    assert "waistline" in dress and "neckline type" in dress
    assert "neckline type" not in {g.name for g in ontology.groups_for("pants")}
    pants_nicknames = {g.name: g for g in ontology.groups_for("pants")}["garment nickname"].names
    assert "jeans" in pants_nicknames and "blazer" not in pants_nicknames and "sundress" not in pants_nicknames


def test_shares_are_a_softmax_within_each_group_of_the_label(scorer, street_photo):
    import cv2

    image = cv2.imread(str(street_photo))
    boxes = np.array([[50, 60, 500, 700], [100, 100, 300, 300], [10, 10, 40, 40]], dtype=float)
    dress, pants, bead = scorer.score(image, boxes, ["dress", "pants", "bead"])
    assert set(dress.groups) == {g.name for g in scorer.ontology.groups_for("dress")}
    assert set(pants.groups) == {g.name for g in scorer.ontology.groups_for("pants")}
    assert bead.groups == {}, "decorations are not scored"
    for garment in (dress, pants):
        for group, ranked in garment.groups.items():
            shares = [p for _, p in ranked]
            assert sum(shares) == pytest.approx(1.0, abs=1e-3) and shares == sorted(shares, reverse=True), group
    assert all(p >= 0.2 for _, _, p in dress.above(0.2))
    assert dress.best(1.01) == {}


def test_batching_changes_no_score_and_calls_clip_once_per_batch(tiny_clip, street_photo, monkeypatch):
    import cv2

    image = cv2.imread(str(street_photo))
    rng = np.random.default_rng(0)
    x1, y1 = rng.uniform(0, 300, 7), rng.uniform(0, 300, 7)
    boxes = np.stack([x1, y1, x1 + rng.uniform(20, 300, 7), y1 + rng.uniform(20, 400, 7)], axis=1)
    labels = ["dress", "pants", "shirt, blouse", "shoe", "skirt", "coat", "jacket"]
    one = AttributeScorer(AttributeSettings(model=str(tiny_clip), batch_size=1))
    three = AttributeScorer(AttributeSettings(model=str(tiny_clip), batch_size=3))
    calls = []
    original = three.model.get_image_features
    monkeypatch.setattr(three.model, "get_image_features", lambda **kw: calls.append(len(kw["pixel_values"])) or original(**kw))
    batched, single = three.score(image, boxes, labels), one.score(image, boxes, labels)
    assert calls == [3, 3, 1]
    for a, b in zip(batched, single):
        for group in a.groups:
            assert dict(a.groups[group]) == pytest.approx(dict(b.groups[group]), abs=1e-3)


def test_prompt_embeddings_are_computed_once_per_model(tiny_clip, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    first = AttributeScorer(AttributeSettings(model=str(tiny_clip)))
    assert len(list((tmp_path / "clip_prompts").glob("*.npy"))) == 1
    from transformers import CLIPModel

    def refuse(*args, **kwargs):
        raise AssertionError("the prompts were encoded again")

    monkeypatch.setattr(CLIPModel, "get_text_features", refuse)
    second = AttributeScorer(AttributeSettings(model=str(tiny_clip)))
    assert np.array_equal(first.text, second.text)
    monkeypatch.undo()
    monkeypatch.setenv("FASHION_STREAM_CACHE", str(tmp_path))
    other = make_clip(tmp_path / "other-clip", seed=1)
    AttributeScorer(AttributeSettings(model=str(other)))
    assert len(list((tmp_path / "clip_prompts").glob("*.npy"))) == 2, "another model has its own prompt embeddings"


def test_a_tall_garment_is_padded_to_a_square_not_cut():
    image = np.zeros((400, 300, 3), dtype=np.uint8)
    image[100:300, 100:150] = (0, 0, 255)  # a red garment, 4x taller than wide (BGR)
    crop = square_crop(image, (100, 100, 150, 300), margin=0.0)
    assert crop.shape == (200, 200, 3)
    assert (crop[:, 75:125] == (255, 0, 0)).all(), "the whole garment, in RGB"
    assert (crop[:, :75] == PAD_GREY).all() and (crop[:, 125:] == PAD_GREY).all()


def test_a_missing_or_wrong_attribute_model_is_a_one_line_error(tiny_checkpoint, street_photo, tmp_path, capsys):
    with pytest.raises(ModelLoadError, match="not CLIP"):
        AttributeScorer(AttributeSettings(model=str(tiny_checkpoint)))
    rc = main(["detect", str(street_photo), "--model", str(tiny_checkpoint), "--attributes-model", str(tmp_path / "nope"),
               "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith("error: CLIP model directory not found") and str(tmp_path / "nope") in err[-1]


def test_detect_reports_the_leading_attribute_of_each_group(tiny_clip, scorer, street_photo, tmp_path):
    from engines.detector import YolosDetector
    from stream.detect_job import run_detect

    checkpoint = make_checkpoint(tmp_path / "ckpt", favour={"dress": 6.0})
    assert main(["detect", str(street_photo), "--model", str(checkpoint), "--attributes-model", str(tiny_clip),
                 "--out", str(tmp_path / "cli")]) == 0
    items = json.loads((tmp_path / "cli" / f"{street_photo.stem}.json").read_text())["items"]
    assert items and all(a["score"] >= 0.5 for item in items for a in item["attributes"]), "the default threshold: 0.5"
    with YolosDetector.from_settings(model=str(checkpoint)) as detector:
        run_detect([street_photo], detector, tmp_path / "api", show_progress=False, scorer=scorer, min_score=0.0)
    items = json.loads((tmp_path / "api" / f"{street_photo.stem}.json").read_text())["items"]
    assert "dress" in {item["label"] for item in items}
    for item in items:
        allowed = {g.name: set(g.names) for g in scorer.ontology.groups_for(item["label"])}
        assert [a["group"] for a in item["attributes"]] == list(allowed), "one leader per group that applies"
        assert all(a["label"] in allowed[a["group"]] for a in item["attributes"])


def _tracked_frame(index: int, t: float, garments: list[tuple[int, str]]) -> FrameResult:
    """A result as the tracker leaves it: one person (id 1) and the given (track id, label) garments."""
    n = len(garments) + 1
    boxes = np.array([[10, 10, 200, 400]] + [[20 + 5 * k, 40, 180, 200] for k in range(len(garments))], dtype=float)
    tracked = sv.Detections(xyxy=boxes, tracker_id=np.array([1] + [tid for tid, _ in garments]))
    tracked.data.update({"kind": np.array(["person"] + ["garment"] * len(garments)),
                         "label": np.array(["person"] + [label for _, label in garments], dtype=object),
                         "class_name": np.array(["person"] + [label for _, label in garments], dtype=object)})
    assert len(tracked) == n
    image = np.full((480, 640, 3), 90, dtype=np.uint8)
    return FrameResult(Frame("cam", index, t, t, image), sv.Detections.empty(), tracked=tracked)


def test_on_video_each_garment_track_is_sampled_a_few_times_not_every_frame(scorer):
    stage = AttributeStage(AttributeStageSettings(model="unused", samples=3, every_s=1.0, min_score=0.0), scorer=scorer)
    before = scorer.crops_scored
    last = None
    for i in range(250):  # 25 s at 10 fps: a shirt (id 2) all along, pants (id 3) from 5 s
        garments = [(2, "shirt, blouse")] + ([(3, "pants")] if i >= 50 else [])
        last = _tracked_frame(i, i / 10, garments)
        stage.process([last])
    assert scorer.crops_scored - before == 6, "3 samples per garment track, not 250 + 200"
    found = last.tracked.data["attributes"]
    assert found[0] is None and {g for g, _, _ in found[1]} == {g.name for g in scorer.ontology.groups_for("shirt, blouse")}
    assert {g for g, _, _ in found[2]} == {g.name for g in scorer.ontology.groups_for("pants")}


def test_a_relabelled_garment_is_sampled_afresh_and_state_stays_bounded(scorer):
    stage = AttributeStage(AttributeStageSettings(model="unused", samples=2, every_s=0.5, forget_after_s=5.0), scorer=scorer)
    before = scorer.crops_scored
    for i in range(20):
        stage.process([_tracked_frame(i, i / 10, [(2, "shirt, blouse" if i < 10 else "sweater")])])
    assert scorer.crops_scored - before == 4 and stage.tracks[("cam", 2)].label == "sweater"
    peak = 0
    for i in range(6000):  # 10 minutes at 10 fps, a new garment every 2 s
        stage.process([_tracked_frame(20 + i, 2 + i / 10, [(100 + i // 20, "pants")])])
        peak = max(peak, len(stage.tracks))
    assert peak <= 5 / 2 + 2, "garments unseen for forget_after_s are forgotten"


def test_run_puts_voted_attributes_on_tracks_outfits_and_leave_events(tiny_clip, tmp_path):
    from tests.media import write_h264

    video = write_h264(tmp_path / "shop.mp4", frames=40, fps=10)
    checkpoint = make_checkpoint(tmp_path / "ckpt", favour={"shirt, blouse": 6.0, "pants": 6.0})
    out = tmp_path / "out"
    assert main(["run", "--source", str(video), "--model", str(checkpoint), "--attributes-model", str(tiny_clip), "--out", str(out),
                 "--sink", "jsonl,events", "--no-progress", "--set", "stages.1.min_score=0.0"]) == 0
    frames = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    garments = [t for f in frames for t in f["tracks"] if t["kind"] == "garment"]
    assert garments and all(t["attributes"] for t in garments), "every tracked garment carries its voted attributes"
    assert all("attributes" not in item for f in frames for item in f["items"]), "raw detections are not scored with tracking on"
    events = [json.loads(line) for line in (out / "outfit_events.jsonl").read_text().splitlines()]
    leaves = [e for e in events if e["event"] == "leave"]
    assert leaves and all(slot["attributes"] for e in leaves for slot in e["outfit"].values())


def test_frames_with_nobody_tracked_are_passed_over(scorer):
    stage = AttributeStage(AttributeStageSettings(model="unused"), scorer=scorer)
    empty = FrameResult(Frame("cam", 0, 0.0, 0.0, np.zeros((48, 64, 3), np.uint8)), sv.Detections.empty(), tracked=sv.Detections.empty())
    stage.process([empty])
    assert stage.tracks == {}


def test_a_batch_of_frames_asks_each_track_for_no_more_samples_than_set(scorer):
    stage = AttributeStage(AttributeStageSettings(model="unused", samples=2, every_s=0.0), scorer=scorer)
    before = scorer.crops_scored
    stage.process([_tracked_frame(i, i / 10, [(2, "pants")]) for i in range(8)])  # one batch of 8 frames
    assert scorer.crops_scored - before == 2 and stage.tracks[("cam", 2)].samples == 2


def test_the_default_model_id_loads_from_a_hub_cache(tiny_clip, tiny_checkpoint, street_photo, tmp_path):
    """`--attributes` alone means fashion-clip by its hub id: here from a Hub cache holding a tiny CLIP under that id."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from engines.attributes import DEFAULT_CLIP_MODEL

    repo = tmp_path / "hub" / f"models--{DEFAULT_CLIP_MODEL.replace('/', '--')}"
    shutil.copytree(tiny_clip, repo / "snapshots" / ("0" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1", "FASHION_STREAM_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "stream.cli", "detect", str(street_photo), "--model", str(tiny_checkpoint),
                           "--threshold", "0.1", "--attributes", "--out", str(tmp_path / "out")],
                          cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    items = json.loads((tmp_path / "out" / f"{street_photo.stem}.json").read_text())["items"]
    assert items and all("attributes" in item for item in items)
    assert list((tmp_path / "cache" / "clip_prompts").glob("*.npy")), "the prompts of the default model were encoded and cached"
