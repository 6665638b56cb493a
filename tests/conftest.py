"""Shared fixtures: tiny random YOLOS checkpoints saved to disk, and photos (the shared real ones
when ../shared is present, else generated stand-ins of the same shapes so the parity and
error-path tests still run on a bare clone)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tools.make_checkpoint import make_checkpoint, make_clip

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test (with the reason) when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests with real photos/video need ../shared beside the repo)")
    return path


def generated_photo(path: Path, height: int, width: int, seed: int) -> Path:
    """A JPEG with photo-like structure (smooth gradients, overlapping coloured shapes, noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.dstack([(xx / width) * 200, (yy / height) * 180, 255 - (xx + yy) / (width + height) * 255]).astype(np.uint8)
    for _ in range(12):
        x1, y1 = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 8))
        x2, y2 = int(rng.integers(x1 + 4, width)), int(rng.integers(y1 + 4, height))
        cv2.rectangle(image, (x1, y1), (x2, y2), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    image = cv2.add(image, rng.integers(0, 20, image.shape, dtype=np.uint8))
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def _photo(relative: str, tmp_path_factory, shape: tuple[int, int], seed: int) -> Path:
    path = SHARED_DATA / relative
    if path.exists():
        return path
    return generated_photo(tmp_path_factory.mktemp("photos") / Path(relative).name, *shape, seed=seed)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny (hidden 32, 2 layers) YOLOS with the 46 Fashionpedia labels, saved with save_pretrained."""
    return make_checkpoint(tmp_path_factory.mktemp("yolos-tiny"), preset="tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory) -> Path:
    """A tiny random CLIP model with a tokenizer and image processor made locally (no Hub)."""
    return make_clip(tmp_path_factory.mktemp("clip-tiny"), preset="tiny", seed=0)


@pytest.fixture(scope="session")
def street_photo(tmp_path_factory) -> Path:
    """The shared street photo (3999x4999 portrait), or a generated 800x1000 portrait stand-in."""
    return _photo("street_outfit.jpg", tmp_path_factory, (1000, 800), seed=1)


@pytest.fixture(scope="session")
def fashionpedia_photos(tmp_path_factory) -> list[Path]:
    """The two Fashionpedia sample photos (618x1000 and 1000x1478), or generated stand-ins of those shapes."""
    return [_photo("fashionpedia_sample/000000009813.jpg", tmp_path_factory, (1000, 618), seed=2),
            _photo("fashionpedia_sample/000000010223.jpg", tmp_path_factory, (1478, 1000), seed=3)]
