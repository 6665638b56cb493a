"""Reading still images as BGR uint8 frames, the way the model expects them.

EXIF orientation is applied; grayscale, grey+alpha, RGBA (composited on white), palette,
CMYK and 16-bit images are converted. Nothing else in the product decodes image files.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from stream.errors import ImageReadError, ImageTooLargeError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
DEFAULT_MAX_PIXELS = 100_000_000


def find_images(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and directories (sorted, non-recursive) into image paths; missing paths are kept
    so that reading them reports the problem."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    """Any Pillow mode -> HxWx3 uint8 RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode != "I" or values.max() > 255 else 255.0
        gray = np.clip(np.round(values * 255.0 / peak), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode == "F":
        gray = np.clip(np.round(np.asarray(image) * (255.0 if np.asarray(image).max() <= 1.0 else 1.0)), 0, 255)
        return np.repeat(gray.astype(np.uint8)[:, :, None], 3, axis=2)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "La", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("RGB"))


def _check_size(path: Path | str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image too large: {path} is {width}x{height} ({width * height / 1e6:.0f} MP, limit {max_pixels / 1e6:.0f} MP)"
        )


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file as an upright BGR uint8 frame, or raise `ImageReadError`."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"image not found: {path}")
    if path.is_dir():
        raise ImageReadError(f"{path} is a directory, not an image")
    return _decode(path, path, max_pixels)


def decode_image(data: bytes, name: str = "upload", max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode an encoded image (JPEG, PNG, ...) held in memory, as `read_image` reads a file.

    Args:
        data: the file's bytes.
        name: what to call it in errors.
        max_pixels: larger images are refused before they are decoded (`ImageTooLargeError`).

    Returns:
        The upright BGR uint8 frame.
    """
    if not data:
        raise ImageReadError(f"empty image: {name} has no bytes")
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(source: Path | io.BytesIO, name: Path | str, max_pixels: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            # Pillow's own guard stays on (process-wide, for everyone); it warns from 89 MP, below our limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as opened:
                _check_size(name, *opened.size, max_pixels)
                rgb = _to_rgb_array(ImageOps.exif_transpose(opened))
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image too large: {name} ({str(exc).split('(')[-1].split(')')[0]}; limit {max_pixels / 1e6:.0f} MP)") from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError(f"not an image or unsupported format: {name}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"cannot read image {name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
