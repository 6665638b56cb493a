import cv2
import numpy as np
import pytest
from PIL import Image

from stream.errors import ImageReadError
from stream.image_files import find_images, read_image


def _gradient_rgb(h=40, w=60):
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([x * 4, y * 6, np.full_like(x, 90)]).astype(np.uint8)


def test_exif_orientation_is_applied(tmp_path):
    rgb = _gradient_rgb()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    path = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(path, exif=exif, quality=100)
    frame = read_image(path)
    assert frame.shape == (60, 40, 3)
    upright = cv2.rotate(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), cv2.ROTATE_90_CLOCKWISE)
    assert np.abs(frame.astype(int) - upright).mean() < 3


def test_grayscale_palette_and_cmyk_become_bgr(tmp_path):
    gray = np.tile(np.arange(0, 250, 5, dtype=np.uint8), (10, 1))
    Image.fromarray(gray).save(tmp_path / "gray.png")
    assert np.array_equal(read_image(tmp_path / "gray.png"), np.repeat(gray[:, :, None], 3, axis=2))

    rgb = _gradient_rgb()
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "palette.png")
    assert np.abs(read_image(tmp_path / "palette.png")[:, :, ::-1].astype(int) - rgb).mean() < 8

    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=100)
    assert read_image(tmp_path / "cmyk.jpg").shape == (40, 60, 3)


def test_transparent_pixels_are_composited_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:, :5] = [255, 0, 0, 255]  # opaque red left half, fully transparent black right half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    frame = read_image(tmp_path / "rgba.png")
    assert frame[0, 0].tolist() == [0, 0, 255]  # BGR red
    assert frame[0, 9].tolist() == [255, 255, 255]
    Image.fromarray(rgba[:, :, [0, 3]].copy(), "LA").save(tmp_path / "la.png")
    assert read_image(tmp_path / "la.png")[0, 9].tolist() == [255, 255, 255]


def test_16bit_images_are_scaled_not_clipped(tmp_path):
    gray16 = np.linspace(0, 65535, 100).astype(np.uint16).reshape(10, 10)
    cv2.imwrite(str(tmp_path / "gray16.png"), gray16)
    frame = read_image(tmp_path / "gray16.png")
    assert frame[..., 0].min() == 0 and frame[..., 0].max() == 255
    assert np.abs(frame[..., 0].astype(int) - np.round(gray16 / 257)).max() <= 1

    bgr16 = np.dstack([gray16, gray16 // 2, np.full_like(gray16, 65535)])
    cv2.imwrite(str(tmp_path / "bgr16.png"), bgr16)
    frame = read_image(tmp_path / "bgr16.png")
    assert np.abs(frame.astype(int) - (bgr16 >> 8)).max() <= 1


def test_bad_files_raise_one_line_errors(tmp_path):
    with pytest.raises(ImageReadError, match="image not found"):
        read_image(tmp_path / "missing.jpg")
    (tmp_path / "notes.jpg").write_text("not an image at all")
    with pytest.raises(ImageReadError, match="not an image"):
        read_image(tmp_path / "notes.jpg")
    good = tmp_path / "truncated.jpg"
    Image.fromarray(_gradient_rgb(400, 400)).save(good, quality=95)
    good.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(ImageReadError, match="cannot read image") as info:
        read_image(good)
    assert "\n" not in str(info.value)


def test_huge_images_are_refused_before_decoding(tmp_path):
    Image.fromarray(_gradient_rgb(200, 300)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match="image too large.*300x200"):
        read_image(tmp_path / "big.png", max_pixels=10_000)


def test_find_images_expands_folders_sorted(tmp_path):
    for name in ["b.png", "a.jpg", "c.webp", "readme.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_images([tmp_path])] == ["a.jpg", "b.png", "c.webp"]


def test_reading_leaves_pillows_decompression_bomb_guard_on(tmp_path):
    """Regression: reading an image switched Pillow's guard off for the whole process."""
    before = Image.MAX_IMAGE_PIXELS
    Image.fromarray(_gradient_rgb(20, 30)).save(tmp_path / "small.png")
    read_image(tmp_path / "small.png")
    assert Image.MAX_IMAGE_PIXELS == before is not None


def test_an_image_over_pillows_bomb_limit_is_a_one_line_too_large(tmp_path, monkeypatch):
    Image.fromarray(_gradient_rgb(200, 300)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # 60 000 px is then over twice the limit: Pillow raises
    with pytest.raises(ImageReadError, match="image too large") as info:
        read_image(tmp_path / "bomb.png", max_pixels=10**9)
    assert "\n" not in str(info.value)
