import json
import os
import shutil
import subprocess
import sys

import cv2
import pytest

from stream.cli import main
from stream.stages.colors import MIXED, NAMES


def test_detect_writes_json_and_annotated_png(tiny_checkpoint, street_photo, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["detect", str(street_photo), "--model", str(tiny_checkpoint), "--threshold", "0.1", "--out", str(out)])
    assert rc == 0
    record = json.loads((out / "street_outfit.json").read_text())
    height, width = cv2.imread(str(street_photo)).shape[:2]
    assert (record["width"], record["height"]) == (width, height)
    assert record["items"], "the tiny model yields detections above 0.1 on this photo"
    scores = [item["score"] for item in record["items"]]
    assert scores == sorted(scores, reverse=True) and min(scores) > 0.1
    for item in record["items"]:
        assert set(item) == {"label", "group", "supercategory", "score", "box", "color"}  # no attributes unless asked
        assert item["color"] in (*NAMES, MIXED)
        assert len(item["box"]) == 4 and item["box"][0] <= item["box"][2]
    annotated = cv2.imread(str(out / "street_outfit.png"))
    assert annotated.shape == (height, width, 3)
    assert not (annotated == cv2.imread(str(street_photo))).all(), "boxes are drawn"
    table = capsys.readouterr().out
    assert "street_outfit.jpg" in table and "TOTAL" in table
    groups = {item["group"] for item in record["items"]}
    header = table.splitlines()[0].split()
    total = dict(zip(header, table.splitlines()[-1].split()))
    assert int(total["all"]) == len(record["items"])
    assert sum(int(total[g]) for g in groups) == len(record["items"])


def test_a_corrupt_image_is_reported_and_the_others_still_processed(tiny_checkpoint, fashionpedia_photos, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for photo in fashionpedia_photos:
        shutil.copy(photo, folder)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    out = tmp_path / "out"
    rc = main(["detect", str(folder), "--model", str(tiny_checkpoint), "--out", str(out), "--threshold", "0.2"])
    assert rc == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "000000009813.json", "000000009813.png", "000000010223.json", "000000010223.png",
    ]
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["detect", "missing.jpg", "--model", "{ckpt}"], "error: image not found: missing.jpg"),
        (["detect", "{img}", "--threshold", "1.5"], "error: option --threshold: bad value for 'threshold' (1.5): Input should be less than 1"),
        (["detect", "{img}", "--model", "/no/such/dir"], "error: model directory not found: /no/such/dir"),
        (["detect", "{img}", "--model", "{notyolos}"], "is not a YOLOS checkpoint: it has no config.json"),
        (["detect", "{img}", "--model", "{ckpt}", "--out", "{img}/sub"], "cannot create output directory"),
    ],
)
def test_bad_input_gives_one_line_error(args, message, tiny_checkpoint, street_photo, tmp_path, capsys):
    (tmp_path / "notyolos").mkdir()
    values = {"ckpt": str(tiny_checkpoint), "img": str(street_photo), "notyolos": str(tmp_path / "notyolos")}
    try:
        rc = main([a.format(**values) for a in args])
    except SystemExit as exit_:
        rc = exit_.code
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_non_yolos_checkpoint_is_refused(tmp_path, street_photo, capsys):
    from transformers import ViTConfig

    ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32).save_pretrained(tmp_path / "vit")
    assert main(["detect", str(street_photo), "--model", str(tmp_path / "vit"), "--out", str(tmp_path / "o")]) == 2
    assert "is a 'vit' checkpoint, not YOLOS" in capsys.readouterr().err


def test_hub_model_unreachable_offline_says_what_to_do(street_photo, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-cache")}
    result = subprocess.run(
        [sys.executable, "-m", "stream.cli", "detect", str(street_photo), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot load model 'valentinafeve/yolos-fashionpedia': not reachable on the Hugging Face Hub and not "
        "in the local cache; pass a local checkpoint directory (--model DIR) or set HF_HUB_OFFLINE=1 with a warm cache"
    ]
