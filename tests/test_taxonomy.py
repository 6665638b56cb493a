import json

import pytest

from engines.errors import EngineError
from engines.taxonomy import load_taxonomy
from tests.conftest import shared_file


def test_groups_follow_how_a_shop_thinks():
    taxonomy = load_taxonomy()
    expected = {
        "shirt, blouse": "tops",
        "sweater": "tops",
        "pants": "bottoms",
        "skirt": "bottoms",
        "dress": "wholebody",
        "jumpsuit": "wholebody",
        "coat": "outerwear",
        "cape": "outerwear",
        "jacket": "outerwear",
        "shoe": "footwear",
        "sock": "accessories",
        "tights, stockings": "accessories",
        "hat": "accessories",
        "bag, wallet": "accessories",
        "umbrella": "accessories",
        "sleeve": "parts",
        "zipper": "parts",
        "sequin": "parts",
    }
    assert {name: taxonomy.lookup(name).group for name in expected} == expected


def test_unknown_label_goes_to_other_and_lookup_ignores_case():
    taxonomy = load_taxonomy()
    assert taxonomy.lookup("person").group == "other"
    assert taxonomy.lookup("person").supercategory == "unknown"
    assert taxonomy.lookup("Shoe").group == "footwear"
    assert taxonomy.all_groups[-1] == "other"


def test_taxonomy_matches_fashionpedia_ontology():
    ontology = json.loads(shared_file("fashionpedia_sample/category_attributes_descriptions.json").read_text())
    taxonomy = load_taxonomy()
    ours = [(info.name, info.supercategory) for info in taxonomy.labels.values()]
    theirs = [(c["name"], c["supercategory"]) for c in sorted(ontology["categories"], key=lambda c: c["id"])]
    assert ours == theirs


def test_bad_taxonomy_group_is_reported(tmp_path):
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("groups: [tops]\nlabels:\n  shoe: {supercategory: feet, group: footwear}\n")
    with pytest.raises(EngineError, match="'shoe' has group 'footwear'"):
        load_taxonomy(bad)
