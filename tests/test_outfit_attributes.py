"""A garment's colour and parts in the outfit describe the garment worn now, not its whole history."""

from stream.tracking import OutfitTracker, TrackingSettings
from tests.test_tracking import PERSON, SHIRT, _person_id, _walk, garments, people

SLEEVE = [125, 160, 165, 300]  # inside SHIRT


def test_the_outfit_shows_the_colour_the_garment_shows_now():
    """Regression: the colour was the one seen most often over the garment's life, so after a red
    t-shirt was swapped for a white one (same label: no label switch) the outfit, the drawn box and
    the re-identification kept saying red for as long as red had been seen (4 s here)."""
    tracker = OutfitTracker()
    red = lambda f: (garments(("top, t-shirt, sweatshirt", 0.9, SHIRT, "red")), people(PERSON))  # noqa: E731
    white = lambda f: (garments(("top, t-shirt, sweatshirt", 0.9, SHIRT, "white")), people(PERSON))  # noqa: E731
    out, _ = _walk(tracker, 100, red)
    assert tracker.outfit(_person_id(out), 99 / 25)["upper"]["color"] == "red"
    out, _ = _walk(tracker, 50, white, start=100)
    assert tracker.outfit(_person_id(out), 149 / 25)["upper"]["color"] == "white"
    assert list(out.data["color"][out.data["kind"] == "garment"]) == ["white"]


def test_a_brief_misread_colour_does_not_change_the_outfit_colour():
    tracker = OutfitTracker()
    out, _ = _walk(tracker, 100, lambda f: (garments(("pants", 0.9, SHIRT, "white" if 60 <= f < 63 else "navy")), people(PERSON)))
    assert tracker.outfit(_person_id(out), 99 / 25)["lower"]["color"] == "navy"


def test_parts_of_a_garment_taken_off_are_not_listed_on_the_one_under_it():
    """Regression: a red shirt with sleeves seen for 4 s, then (taken off) a white t-shirt without:
    the t-shirt kept the shirt's sleeves for the rest of its life (parts were lifetime counts)."""
    tracker = OutfitTracker(TrackingSettings(attribute_min_count=3))
    shirt = lambda f: (garments(("shirt, blouse", 0.9, SHIRT, "red"), ("sleeve", 0.8, SLEEVE)), people(PERSON))  # noqa: E731
    tee = lambda f: (garments(("top, t-shirt, sweatshirt", 0.9, SHIRT, "white")), people(PERSON))  # noqa: E731
    out, _ = _walk(tracker, 100, shirt)
    assert tracker.outfit(_person_id(out), 99 / 25)["upper"]["parts"] == ["sleeve"]
    out, events = _walk(tracker, 75, tee, start=100)
    outfit = tracker.outfit(_person_id(out), 174 / 25)["upper"]
    assert [e["to"] for e in events if e["event"] == "slot_changed"] == ["top, t-shirt, sweatshirt"]
    assert outfit["label"] == "top, t-shirt, sweatshirt" and outfit["color"] == "white" and outfit["parts"] == []


def test_a_look_alike_corrected_keeps_the_garments_parts():
    """The same shirt first locked as a t-shirt, later corrected (same colour): still one garment,
    its sleeves stay listed."""
    tracker = OutfitTracker(TrackingSettings(attribute_min_count=3))
    out, _ = _walk(tracker, 100, lambda f: (garments(("top, t-shirt, sweatshirt", 0.9, SHIRT, "red"), ("sleeve", 0.8, SLEEVE)),
                                            people(PERSON)))
    out, _ = _walk(tracker, 200, lambda f: (garments(("shirt, blouse", 0.9, SHIRT, "red")), people(PERSON)), start=100)
    outfit = tracker.outfit(_person_id(out), 299 / 25)["upper"]
    assert outfit["label"] == "shirt, blouse" and outfit["parts"] == ["sleeve"]
