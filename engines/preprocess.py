"""YOLOS pre-processing, written once for every backend.

BGR uint8 frames -> normalised float32 NCHW batch, plus the geometry needed to map boxes back.
Two layouts:
  * dynamic: the `YolosImageProcessor` rule (shortest/longest edge, both sides floored to a
    multiple of 16), frames of a batch zero-padded bottom-right to the largest one;
  * canvas: every frame letterboxed (aspect kept, top-left aligned, zero padding bottom-right)
    onto one fixed H x W, which fixed-shape engines (ONNX, TensorRT) need.
Resampling is bilinear with antialiasing: `pil` is Pillow's, the resampler the checkpoint was
trained with and the reference processor uses (bit-identical pixels); `opencv` is faster
(INTER_AREA when shrinking) and differs from it by a few grey levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from engines.errors import EngineError
from engines.settings import PATCH_MULTIPLE, DetectorSettings, Resampler

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass(frozen=True)
class FrameGeometry:
    """Where one frame's content sits on the model input (top-left, the rest zero padding)."""

    frame_hw: tuple[int, int]
    content_hw: tuple[int, int]
    input_hw: tuple[int, int]


@dataclass(frozen=True)
class PreparedBatch:
    """Model-ready input and the geometry of each frame in it."""

    pixel_values: np.ndarray
    geometries: list[FrameGeometry]


def yolos_resize_shape(height: int, width: int, shortest_edge: int, longest_edge: int) -> tuple[int, int]:
    """Output (h, w) by the `YolosImageProcessor` rule: aspect kept, both sides floored to 16."""
    size = shortest_edge
    raw_size = None
    short, long = float(min(height, width)), float(max(height, width))
    if long / short * size > longest_edge:
        raw_size = longest_edge * short / long
        size = int(round(raw_size))
    if width < height:
        out_w = size
        out_h = int((raw_size if raw_size is not None else size) * height / width)
    elif min(height, width) == size:
        out_h, out_w = height, width
    else:
        out_h = size
        out_w = int((raw_size if raw_size is not None else size) * width / height)
    return out_h - out_h % PATCH_MULTIPLE, out_w - out_w % PATCH_MULTIPLE


def letterbox_shape(height: int, width: int, canvas: tuple[int, int]) -> tuple[int, int]:
    """Largest (h, w) with the frame's aspect that fits in `canvas`."""
    scale = min(canvas[0] / height, canvas[1] / width)
    return max(1, min(canvas[0], round(height * scale))), max(1, min(canvas[1], round(width * scale)))


def as_bgr_uint8(frame: np.ndarray) -> np.ndarray:
    """Bring a frame to 3-channel BGR uint8: grayscale, BGRA and 16-bit frames are converted."""
    if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or min(frame.shape[:2]) < 1:
        raise EngineError(f"unsupported frame: expected an HxW or HxWxC array, got {getattr(frame, 'shape', type(frame))}")
    if frame.dtype == np.uint16:
        frame = (frame // 257).astype(np.uint8)
    elif frame.dtype != np.uint8:
        raise EngineError(f"unsupported frame dtype {frame.dtype}: expected uint8 or uint16")
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.shape[2] != 3:
        raise EngineError(f"unsupported frame with {frame.shape[2]} channels")
    return frame


def resize_rgb(rgb: np.ndarray, out_hw: tuple[int, int], resampler: Resampler) -> np.ndarray:
    """Bilinear, antialiased resize of an RGB uint8 image to (h, w)."""
    if rgb.shape[:2] == out_hw:
        return rgb
    if resampler == "pil":
        return np.asarray(Image.fromarray(rgb).resize((out_hw[1], out_hw[0]), Image.Resampling.BILINEAR))
    shrinking = out_hw[0] < rgb.shape[0] and out_hw[1] < rgb.shape[1]
    return cv2.resize(rgb, (out_hw[1], out_hw[0]), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def normalize(rgb: np.ndarray) -> np.ndarray:
    """uint8 HWC RGB -> float32 CHW, rescaled by 1/255 and ImageNet-normalised."""
    scaled = rgb.astype(np.float32) * np.float32(1 / 255)
    return ((scaled - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)


def content_shape(frame_hw: tuple[int, int], settings: DetectorSettings) -> tuple[int, int]:
    """Size of a frame's content on the model input, for either layout."""
    if settings.canvas is not None:
        return letterbox_shape(*frame_hw, settings.canvas)
    return yolos_resize_shape(*frame_hw, *settings.size)


def preprocess(frames: Sequence[np.ndarray], settings: DetectorSettings) -> PreparedBatch:
    """Turn BGR frames into one zero-padded, normalised batch.

    Args:
        frames: BGR uint8 images of any sizes.
        settings: the size rule (`size`), the letterbox `canvas` (if any) and the `resampler`.

    Returns:
        The (B, 3, H, W) float32 batch and where each frame's content sits on it.
    """
    if not frames:
        raise EngineError("preprocess needs at least one frame")
    contents = []
    for frame in frames:
        rgb = cv2.cvtColor(as_bgr_uint8(frame), cv2.COLOR_BGR2RGB)
        contents.append(normalize(resize_rgb(rgb, content_shape(rgb.shape[:2], settings), settings.resampler)))
    if settings.canvas is not None:
        input_hw = settings.canvas
    else:
        input_hw = (max(c.shape[1] for c in contents), max(c.shape[2] for c in contents))
    batch = np.zeros((len(contents), 3, *input_hw), dtype=np.float32)
    geometries = []
    for i, (frame, content) in enumerate(zip(frames, contents)):
        batch[i, :, : content.shape[1], : content.shape[2]] = content
        geometries.append(FrameGeometry(frame.shape[:2], content.shape[1:], input_hw))
    return PreparedBatch(batch, geometries)
