"""People built from the garments (no person model): followed people keep whole boxes and their
own garments; garments of one slot are never one person twice; time out of sight is no absence."""

import numpy as np
import supervision as sv

from stream.tracking import OutfitTracker
from stream.tracking.persons import FollowedPerson, persons_from_garments
from stream.tracking.tracks import relative
from tests.test_tracking import PANTS, PERSON, SHIRT, _person_id, _walk, garments, people

SHOE = [150, 580, 250, 600]
BODY = [120, 150, 280, 600]  # the box built from shirt, pants and shoes


def _followed(box=BODY, lost=False, age_s=5.0):
    places = [("upper", relative(np.array(SHIRT), np.array(BODY))), ("lower", relative(np.array(PANTS), np.array(BODY))),
              ("footwear", relative(np.array(SHOE), np.array(BODY)))]
    return FollowedPerson(np.array(box, dtype=np.float32), places, age_s, lost)


def _moved(box, dx):
    return [box[0] + dx, box[1], box[2] + dx, box[3]]


def _iou(a, b):
    return float(sv.box_iou_batch(np.array([a], dtype=np.float32), np.array([b], dtype=np.float32))[0, 0])


def test_a_missed_garment_neither_shrinks_nor_splits_a_followed_person():
    """Regression (tools.eval_tracking, people from garments): pants missed for a frame split a
    person into shirt and shoes (two boxes, a new id for one), and boxes that changed size with the
    garments seen confused the motion tracker (IDF1 0.29-0.65)."""
    seen = garments(("shirt, blouse", 0.9, _moved(SHIRT, 10)), ("shoe", 0.8, _moved(SHOE, 10)))
    found = persons_from_garments(seen, [_followed(_moved(BODY, 8))])
    assert len(found) == 1 and _iou(found.xyxy[0], _moved(BODY, 10)) > 0.9


def test_two_followed_people_passing_each_other_keep_their_own_boxes():
    """Regression: garments of two people whose columns overlap were merged into one person."""
    other = 60
    seen = garments(("shirt, blouse", 0.9, SHIRT), ("pants", 0.9, PANTS), ("shoe", 0.8, SHOE),
                    ("shirt, blouse", 0.9, _moved(SHIRT, other)), ("pants", 0.9, _moved(PANTS, other)), ("shoe", 0.8, _moved(SHOE, other)))
    found = persons_from_garments(seen, [_followed(), _followed(_moved(BODY, other))])
    assert len(found) == 2 and max(_iou(b, BODY) for b in found.xyxy) > 0.9 and max(_iou(b, _moved(BODY, other)) for b in found.xyxy) > 0.9


def test_two_shirts_in_one_column_are_two_people():
    """Regression: two people one behind the other (shirts stacked in one column) made one person."""
    found = persons_from_garments(garments(("shirt, blouse", 0.9, [100, 100, 200, 250]), ("shirt, blouse", 0.9, [105, 260, 205, 400])))
    assert len(found) == 2


def test_a_bag_or_a_hat_alone_is_nobody():
    """A person is made of at least one body garment; a bag on a chair is not someone."""
    assert len(persons_from_garments(garments(("bag, wallet", 0.9, [500, 300, 560, 420])))) == 0
    assert len(persons_from_garments(garments(("bag, wallet", 0.9, [250, 260, 300, 400]), ("shirt, blouse", 0.9, SHIRT)))) == 1


def test_someone_lost_is_not_found_by_one_garment_of_someone_else():
    """A person lost for a moment (the motion tracker's prediction drifting on) claims garments only
    when most of theirs are there: one shirt of a newcomer is the newcomer, not the whole lost person."""
    found = persons_from_garments(garments(("shirt, blouse", 0.9, SHIRT)), [_followed(lost=True)])
    assert len(found) == 1 and _iou(found.xyxy[0], SHIRT) > 0.95
    kept = persons_from_garments(garments(("shirt, blouse", 0.9, SHIRT), ("shoe", 0.8, SHOE)), [_followed(lost=True)])
    assert len(kept) == 1 and _iou(kept.xyxy[0], BODY) > 0.9


def test_someone_lost_behind_a_nearer_person_is_found_by_the_garments_in_view():
    """Regression (tools.eval_tracking, people from garments, 7 of 8 change scenarios): a tall person
    walking behind a nearer one (pants and shoes hidden) was lost for one missed shirt, then never
    found again by "most of their garments" - their box shrank to the shirt, the pants and shoes
    no longer sat in it, and they were reported taken off."""
    nearer = [100, 330, 300, 780]  # feet lower: in front, covering the pants and shoes
    theirs = (("shirt, blouse", 0.9, [120, 345, 280, 530]), ("pants", 0.9, [130, 540, 270, 700]), ("shoe", 0.8, [150, 710, 250, 780]))
    places = [(slot, relative(np.array(box), np.array(nearer))) for slot, (_, _, box) in zip(("upper", "lower", "footwear"), theirs)]
    in_front = FollowedPerson(np.array(nearer, dtype=np.float32), places)
    found = persons_from_garments(garments(("shirt, blouse", 0.9, SHIRT), *theirs), [_followed(lost=True), in_front])
    assert len(found) == 2 and max(_iou(b, BODY) for b in found.xyxy) > 0.9
    alone = persons_from_garments(garments(("shirt, blouse", 0.9, SHIRT)), [_followed(lost=True)])
    assert _iou(alone.xyxy[0], SHIRT) > 0.95  # nobody hides the rest: one shirt is still not the whole lost person


def test_a_person_split_as_they_came_in_is_put_together_but_people_followed_for_a_while_are_not():
    shirt_only = FollowedPerson(np.array(SHIRT, dtype=np.float32), [("upper", np.array([0, 0, 1, 1]))], 0.2)
    legs = FollowedPerson(np.array([130, 350, 270, 600], dtype=np.float32), [("lower", relative(np.array(PANTS), np.array([130, 350, 270, 600])))], 0.2)
    seen = garments(("shirt, blouse", 0.9, SHIRT), ("pants", 0.9, PANTS))
    assert len(persons_from_garments(seen, [shirt_only, legs])) == 1
    settled = [FollowedPerson(p.box, p.places, 5.0) for p in (shirt_only, legs)]
    assert len(persons_from_garments(seen, settled)) == 2  # a jacket on a rack stays apart from whoever passes it


def test_time_out_of_sight_does_not_count_as_seen_without_a_garment():
    """Regression (tools.eval_tracking): a person seen for a moment without their pants (hidden),
    then out of sight for 1.5 s, had the pants taken off the moment they were seen again with the pants
    still hidden - a false
    `slot_changed` - because the time out of sight counted as seen without them."""
    tracker = OutfitTracker()
    dressed = (("shirt, blouse", 0.9, SHIRT, "white"), ("pants", 0.9, PANTS, "navy"))
    _walk(tracker, 100, lambda f: (garments(*dressed), people(PERSON)))
    _walk(tracker, 8, lambda f: (garments(dressed[0]), people(PERSON)), start=100)  # pants not seen for 0.3 s
    _walk(tracker, 38, lambda f: (sv.Detections.empty(), sv.Detections.empty()), start=108)  # out of sight 1.5 s
    _, back = _walk(tracker, 5, lambda f: (garments(dressed[0]), people(PERSON)), start=146)  # back, pants still hidden a moment
    out, events = _walk(tracker, 10, lambda f: (garments(*dressed), people(PERSON)), start=151)
    assert not [e for e in back + events if e["event"] == "slot_changed"]
    assert set(tracker.outfit(_person_id(out), 161 / 25)) == {"upper", "lower"}


def test_without_a_person_model_people_keep_their_ids():
    """Regression (tools.eval_tracking, people from garments, independent errors): boxes built anew
    from the garments each frame merged and split; IDF1 was 0.54 over 8 scenes (ByteTrack 0.36)."""
    from tools.eval_tracking import run_scene, summarize
    from tools.scenarios import scenarios

    independent = next(s for s in scenarios(300) if s.name == "independent errors")
    assert summarize([run_scene(independent, seed, person_model=False) for seed in range(2)])["IDF1"] >= 0.75


def test_people_passing_one_another_keep_their_garments_when_built_from_them():
    """Regression (found running the pipeline on tools.walking_scene with 15 % of garments missed):
    a taller person overtaking a shorter one nearer the camera had their pants given to the nearer
    one (feet lower), then the nearer one's t-shirt: a false `slot_changed` (shirt -> t-shirt and
    back). With people built from the garments, a garment that sits where a person's own garment
    of that slot sits is theirs before nearness decides."""
    import random

    from stream.detections import select
    from tools.walking_scene import Walker, WalkingScene

    scene = WalkingScene([Walker(0, 119, 80, -60, 6, "shirt, blouse", "pants", "blue"),
                          Walker(0, 119, 90, 640, -6, "sweater", "skirt", "red"),
                          Walker(20, 119, 130, 100, 2, "top, t-shirt, sweatshirt", "shorts", "green")], 120, fps=10)
    rng = random.Random(0)
    tracker = OutfitTracker()
    events, ids = [], set()
    for index in range(scene.frames):
        found = scene.garments(index)
        found = select(found, np.array([rng.random() >= 0.15 for _ in range(len(found))], dtype=bool))
        out, new = tracker.update(found, index / scene.FPS)
        events += new
        ids |= {int(i) for i in out.tracker_id[out.data["kind"] == "person"]} if len(out) else set()
    assert not [e for e in events if e["event"] == "slot_changed"]
    assert len(ids) == 3


def test_the_box_holding_a_garment_is_the_inverse_of_where_it_sits():
    from stream.tracking.tracks import holding

    person, shirt = np.array(PERSON, dtype=float), np.array(SHIRT, dtype=float)
    assert np.allclose(holding(shirt, relative(shirt, person)), person)


def _scene(name, seed):
    from tools.eval_tracking import run_scene, summarize
    from tools.scenarios import scenarios

    return summarize([run_scene(next(s for s in scenarios(300) if s.name == name), seed, person_model=False)])


def test_someone_lost_behind_a_nearer_person_does_not_take_their_garments():
    """Regression (tools.eval_tracking, crossing in different clothes, seed 5): a person lost while
    passing behind another was found again by the other's garments, all of theirs being hidden
    (none needed): the ids swapped (IDF1 0.50). Someone lost claims only garments where theirs are in view."""
    crossing = _scene("crossing, different clothes", 5)
    assert crossing["IDSW"] == 0 and crossing["events"] == 0


def test_people_in_a_crowd_keep_their_ids_when_built_from_garments():
    """Regression (tools.eval_tracking, independent errors, seed 7: four people crossing at once):
    one frame's box holding a neighbour's garment rewrote where every garment sits on the person,
    and the wrong places held that box on (IDF1 0.61, a change missed, false events). Where a
    garment sits now follows its sightings a share at a time."""
    assert _scene("independent errors", 7)["IDF1"] >= 0.85


def test_someone_out_of_sight_behind_others_for_a_second_keeps_their_track_when_built_from_garments():
    """Regression (tools.eval_tracking, 10 fps, seed 2): lost tracks of people built from garments
    were kept 1 s; people who came out from behind others after about a second got new ids, and one
    of the scene's two true changes was never followed (recall 1 of 2). Kept 1.5 s now."""
    assert _scene("10 fps", 2)["recall"] == 1.0


def test_a_person_of_several_weakly_scored_garments_is_tracked():
    """Regression (`make run` with a checkpoint whose garments score 0.1-0.3, as a user's low
    `threshold` lets through): a person built from garments took their best garment's score, below
    the tracker's activation threshold, so nobody was ever tracked and no outfit was reported. A
    person's score is now the chance that at least one of their garments is real."""
    weak = (("shirt, blouse", 0.25, SHIRT, "white"), ("pants", 0.25, PANTS, "navy"), ("shoe", 0.25, SHOE, "black"))
    tracker = OutfitTracker()
    out, events = _walk(tracker, 25, lambda f: (garments(*weak), None))
    assert [e["event"] for e in events].count("appear") == 1
    assert set(tracker.outfit(_person_id(out), 24 / 25)) == {"upper", "lower", "footwear"}
    alone = persons_from_garments(garments(weak[0]))
    assert float(alone.confidence[0]) == 0.25  # one weak garment alone stays weak


def test_people_crossing_keep_their_own_colours_when_built_from_garments():
    """Regression (tools.eval_tracking, accessories, seed 0): two people crossing, a red cardigan
    seen in both boxes went to the nearer one, who wears a black t-shirt: t-shirt -> cardigan and
    back, two false slot_changed. It goes to the one whose own is red now."""
    accessories = _scene("accessories", 0)
    assert accessories["precision"] == 1.0 and accessories["recall"] == 1.0


def test_a_hat_seen_over_two_heads_in_a_crowd_is_no_change():
    """Regression (tools.eval_tracking, independent errors, seed 7: four people crossing at once):
    a green hat seen over two heads went to the nearer person in a gray hat and back, two false
    slot_changed (hat -> headband -> hat). The colour rule now compares the hat sitting there."""
    assert _scene("independent errors", 7)["precision"] == 1.0
