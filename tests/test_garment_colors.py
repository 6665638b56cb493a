import numpy as np
import pytest
import supervision as sv

from stream.stages.colors import MIXED, central_region, color_name, with_colors
from stream.tracking import OutfitTracker, TrackingSettings


def _solid(bgr, size=(60, 40)):
    return np.full((size[1], size[0], 3), bgr, dtype=np.uint8)


@pytest.mark.parametrize("bgr, name", [
    ((0, 0, 210), "red"), ((200, 60, 0), "blue"), ((20, 20, 20), "black"), ((250, 250, 250), "white"),
    ((40, 160, 40), "green"), ((0, 220, 240), "yellow"), ((128, 128, 128), "gray"), ((70, 30, 20), "navy"),
    ((180, 160, 255), "pink"), ((30, 60, 100), "brown"),
])
def test_solid_colours_get_their_everyday_name(bgr, name):
    assert color_name(_solid(bgr)) == name


def test_noise_and_shading_do_not_change_the_name():
    rng = np.random.default_rng(0)
    shirt = _solid((200, 60, 0)).astype(np.int16) + rng.integers(-25, 25, (40, 60, 3))
    shirt[:, :20] = (shirt[:, :20] * 0.75).astype(np.int16)  # a shaded fold
    assert color_name(np.clip(shirt, 0, 255).astype(np.uint8)) == "blue"


def test_pattern_without_a_dominant_colour_is_multicolor():
    flag = _solid((0, 0, 210))  # red, white and blue bands, a third each
    flag[:, 20:40] = (250, 250, 250)
    flag[:, 40:] = (200, 60, 0)
    assert color_name(flag) == MIXED
    flag[:, 40:] = (0, 0, 210)
    assert color_name(flag) == "red"  # two thirds red
    assert color_name(np.zeros((0, 5, 3), np.uint8)) == ""


def test_box_border_is_left_out_so_background_does_not_colour_the_garment():
    image = _solid((250, 250, 250), size=(200, 200))  # white wall
    image[50:150, 50:150] = (0, 0, 210)  # red shirt: a quarter of the loose box around it
    box = np.array([0, 0, 200, 200], dtype=np.float32)
    assert color_name(image) == "white"
    assert color_name(central_region(image, box)) == "red"


def test_central_region_is_clipped_to_the_image():
    image = _solid((0, 0, 210), size=(100, 100))
    assert central_region(image, np.array([50, 50, 250, 250])).shape[:2] == (10, 10)  # 90..210 clipped to 90..100
    assert central_region(image, np.array([300, 300, 400, 400])).size == 0


def test_each_detection_gets_the_colour_of_its_own_pixels():
    image = _solid((128, 128, 128), size=(300, 100))
    image[:, :100] = (0, 0, 210)
    image[:, 200:] = (200, 60, 0)
    detections = sv.Detections(xyxy=np.array([[0, 0, 100, 100], [200, 0, 300, 100]], dtype=np.float32),
                               confidence=np.array([0.9, 0.8]), class_id=np.array([0, 1]))
    assert list(with_colors(image, detections).data["color"]) == ["red", "blue"]


def _shirt(color):
    return sv.Detections(xyxy=np.array([[120, 150, 280, 350]], dtype=np.float32), confidence=np.array([0.9], dtype=np.float32),
                         class_id=np.array([0]), data={"class_name": np.array(["shirt, blouse"]), "group": np.array(["tops"]),
                                                       "supercategory": np.array(["upperbody"]), "color": np.array([color])})


def test_tracker_votes_the_colour_over_frames():
    tracker = OutfitTracker(TrackingSettings(frame_rate=25, attribute_min_count=3))
    person = sv.Detections(xyxy=np.array([[100, 100, 300, 600]], dtype=np.float32), confidence=np.array([0.9], dtype=np.float32),
                           class_id=np.array([0]))
    seen = []
    for f, color in enumerate(["navy", "blue", "blue", "navy", "blue", "blue", "black", "blue", "blue", "blue"]):
        out, _ = tracker.update(_shirt(color), f / 25, persons=person)
        garments = out[out.data["kind"] == "garment"] if len(out) else out
        seen.append(garments.data["color"][0] if len(garments) else None)
    person_id = int(out.tracker_id[out.data["kind"] == "person"][0])
    assert tracker.outfit(person_id, 10 / 25)["upper"]["color"] == "blue"
    assert seen[-1] == "blue" and "black" not in seen  # one odd frame never shows
    assert "blue" in out.data["outfit"][out.data["kind"] == "person"][0]
