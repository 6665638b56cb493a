"""Shared fixtures: tiny random YOLOS checkpoints saved to disk, and the shared real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.make_checkpoint import make_checkpoint

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test (with the reason) when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests with real photos/video need ../shared beside the repo)")
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny (hidden 32, 2 layers) YOLOS with the 46 Fashionpedia labels, saved with save_pretrained."""
    return make_checkpoint(tmp_path_factory.mktemp("yolos-tiny"), preset="tiny", seed=0)


@pytest.fixture(scope="session")
def street_photo() -> Path:
    return shared_file("street_outfit.jpg")


@pytest.fixture(scope="session")
def fashionpedia_photos() -> list[Path]:
    return [shared_file("fashionpedia_sample/000000009813.jpg"), shared_file("fashionpedia_sample/000000010223.jpg")]
