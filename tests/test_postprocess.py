import numpy as np
import pytest
import torch
from transformers import YolosImageProcessor
from transformers.models.yolos.modeling_yolos import YolosObjectDetectionOutput

from engines.postprocess import LabelTable, postprocess
from engines.preprocess import FrameGeometry
from engines.settings import DetectorSettings
from engines.taxonomy import load_taxonomy
from tools.make_checkpoint import fashionpedia_id2label

LABELS = LabelTable.build(fashionpedia_id2label(), load_taxonomy())


def _random_outputs(rng, batch=3, queries=100, classes=47):
    logits = rng.normal(0, 3, (batch, queries, classes)).astype(np.float32)
    boxes = rng.uniform(0.05, 0.95, (batch, queries, 4)).astype(np.float32)
    boxes[..., 2:] = rng.uniform(0.01, 0.5, (batch, queries, 2))
    return logits, boxes


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7])
def test_detections_equal_transformers_post_process(threshold):
    rng = np.random.default_rng(1)
    logits, boxes = _random_outputs(rng)
    frame_sizes = [(432, 768), (4999, 3999), (1000, 618)]
    # Contents of different shapes on one padded input: boxes still scale by each frame's own size.
    geometries = [FrameGeometry((432, 768), (480, 864), (864, 864)), FrameGeometry((4999, 3999), (864, 688), (864, 864)),
                  FrameGeometry((1000, 618), (864, 528), (864, 864))]
    ours = postprocess(logits, boxes, geometries, LABELS, DetectorSettings(threshold=threshold))
    outputs = YolosObjectDetectionOutput(logits=torch.from_numpy(logits), pred_boxes=torch.from_numpy(boxes))
    theirs = YolosImageProcessor().post_process_object_detection(outputs, threshold=threshold, target_sizes=frame_sizes)
    for mine, ref, (height, width) in zip(ours, theirs, frame_sizes):
        order = torch.argsort(ref["scores"], descending=True, stable=True).numpy()
        assert len(mine) == len(order) > 0
        assert np.array_equal(mine.class_id, ref["labels"].numpy()[order])
        assert np.abs(mine.confidence - ref["scores"].numpy()[order]).max() <= 1e-5
        expected = ref["boxes"].numpy()[order]
        expected[:, 0::2], expected[:, 1::2] = expected[:, 0::2].clip(0, width), expected[:, 1::2].clip(0, height)
        assert np.abs(mine.xyxy - expected).max() <= 0.5


def test_a_box_relative_to_the_content_maps_to_the_frame_whatever_the_padding():
    # Frame 432x768 letterboxed onto 512x864: content 486x864 at the top-left, 26 rows of padding.
    geometry = FrameGeometry((432, 768), (486, 864), (512, 864))
    logits = np.full((1, 2, 47), -10.0, np.float32)
    logits[0, :, 23] = 10.0  # shoes
    # YOLOS boxes are normalised to the content: (0.5, 0.5, 1, 1) is the whole picture; the
    # second box sticks out past the right and bottom edges and is clipped.
    boxes = np.array([[[0.5, 0.5, 1.0, 1.0], [0.9, 0.9, 0.4, 0.4]]], np.float32)
    det = postprocess(logits, boxes, [geometry], LABELS, DetectorSettings(threshold=0.5))[0]
    assert np.allclose(det.xyxy, [[0, 0, 768, 432], [0.7 * 768, 0.7 * 432, 768, 432]], atol=1e-3)
    assert det.data["class_name"][0] == "shoe" and det.data["group"][0] == "footwear"
    assert det.data["supercategory"][0] == "legs and feet"


def test_threshold_is_strict_and_results_sorted_by_score():
    rng = np.random.default_rng(2)
    logits, boxes = _random_outputs(rng, batch=1)
    geometry = [FrameGeometry((480, 864), (480, 864), (480, 864))]
    all_dets = postprocess(logits, boxes, geometry, LABELS, DetectorSettings(threshold=0.0))[0]
    cut = float(np.median(all_dets.confidence))
    kept = postprocess(logits, boxes, geometry, LABELS, DetectorSettings(threshold=cut))[0]
    assert np.all(kept.confidence > cut)
    assert len(kept) == int(np.sum(all_dets.confidence > cut))
    assert np.all(np.diff(all_dets.confidence) <= 0)


def test_classwise_nms_and_top_k():
    geometry = [FrameGeometry((100, 100), (96, 96), (96, 96))]
    logits = np.full((1, 4, 47), -10.0, np.float32)
    logits[0, [0, 1, 2], 23] = [9.0, 8.0, 7.0]  # three overlapping shoes
    logits[0, 3, 24] = 6.0  # a bag on the same spot
    boxes = np.array([[[0.5, 0.5, 0.4, 0.4], [0.51, 0.5, 0.4, 0.4], [0.5, 0.52, 0.4, 0.4], [0.5, 0.5, 0.4, 0.4]]], np.float32)
    nms = postprocess(logits, boxes, geometry, LABELS, DetectorSettings(threshold=0.5, nms_iou=0.5))[0]
    assert sorted(nms.data["class_name"].tolist()) == ["bag, wallet", "shoe"]
    top = postprocess(logits, boxes, geometry, LABELS, DetectorSettings(threshold=0.5, top_k=2))[0]
    assert len(top) == 2 and np.all(top.confidence >= np.sort(top.confidence)[0])
    assert top.confidence[0] > 0.99


def test_labels_unknown_to_the_taxonomy_are_grouped_as_other():
    labels = LabelTable.build({0: "person", 1: "shoe"}, load_taxonomy())
    assert labels.groups.tolist() == ["other", "footwear"]
