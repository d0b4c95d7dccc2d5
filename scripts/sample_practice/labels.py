"""Jacket label scans: typed, printed sticker, hand-lettered, an unreadable scrawl and a phone photo.

Labels are drawn with fonts from Debian packages (fonts-gnutypewriter, fonts-liberation2,
fonts-dancingscript, fonts-breip, fonts-dkg-handwriting) on a manila or kraft jacket
background, then skewed by up to 2.5 degrees as a flatbed scan of a jacket would be.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .layout import LabelSpec
from .radiographs import PNG_COMPRESS_LEVEL, write_tiff

FONT_FILES = {
    "typed": ("/usr/share/fonts/truetype/gnutypewriter/GNUTypewriter.ttf", "fonts-gnutypewriter"),
    "sticker": ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", "fonts-liberation2"),
    "sticker_bold": ("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf", "fonts-liberation2"),
    "dancing": ("/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf", "fonts-dancingscript"),
    "breip": ("/usr/share/fonts/truetype/breip/Breip.ttf", "fonts-breip"),
    "dkg": ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "fonts-dkg-handwriting"),
}

MANILA = (228, 208, 164)
KRAFT = (181, 141, 98)
STICKER_WHITE = (246, 245, 240)
TYPEWRITER_INK = (38, 36, 40)
BALLPOINT_BLUE = (28, 42, 118)
MARKER_BLACK = (30, 28, 30)
PRINTED_INK = (60, 52, 48)
CLINIC_HEADER = "MAPLE GROVE ANIMAL HOSPITAL"
FORM_CAPTIONS = ("Owner", "Patient", "Chart #")

SCAN_DPI = 200
STICKER_DPI = 150
JPEG_QUALITY_LABEL = 90
JPEG_QUALITY_PHOTO = 85
EXIF_ORIENTATION = 0x0112
ROTATE_90_CW_TO_DISPLAY = 6  # EXIF Orientation value: the viewer turns the stored image 90 degrees clockwise


@functools.cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """Load a font by its key in FONT_FILES, naming the Debian package when it is missing."""
    path, package = FONT_FILES[name]
    if not Path(path).is_file():
        raise FileNotFoundError(f"font {path} not found; install the Debian package {package}")
    return ImageFont.truetype(path, size)


def paper(size: tuple[int, int], color: tuple[int, int, int], rng: np.random.Generator, grain: float = 2.0) -> Image.Image:
    """Return a sheet of paper with a faint fiber grain, so scans are not one flat color."""
    width, height = size
    noise = rng.normal(0.0, grain, (height, width, 1)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 2.5)[..., None]
    sheet = np.clip(np.asarray(color, np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(sheet, "RGB")


def draw_jittered_line(
    draw: ImageDraw.ImageDraw,
    origin: tuple[float, float],
    text: str,
    font_name: str,
    size: int,
    ink: tuple[int, int, int],
    rng: np.random.Generator,
    jitter: float,
) -> None:
    """Draw ``text`` one character at a time, each moved and resized a little, like a hand or typewriter."""
    x, y = origin
    for char in text:
        char_size = max(8, round(size * (1.0 + rng.normal(0.0, jitter / 40.0))))
        char_font = font(font_name, char_size)
        dy = rng.normal(0.0, jitter)
        draw.text((x, y + dy), char, font=char_font, fill=ink)
        x += char_font.getlength(char) + rng.normal(0.0, jitter / 3.0)


def skew(image: Image.Image, background: tuple[int, int, int], rng: np.random.Generator, max_degrees: float = 2.5) -> Image.Image:
    """Rotate by a small random angle, filling the corners with the jacket's color."""
    angle = float(rng.uniform(-max_degrees, max_degrees))
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=background)


def render_typed(spec: LabelSpec, rng: np.random.Generator) -> Image.Image:
    """Render lines typed straight onto a manila jacket."""
    image = paper((1000, 90 + 64 * len(spec.lines)), MANILA, rng)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(spec.lines):
        origin = (60 + rng.uniform(-4, 4), 50 + 64 * index)
        draw_jittered_line(draw, origin, line, "typed", 34, TYPEWRITER_INK, rng, jitter=0.8)
    return skew(image, MANILA, rng)


def render_sticker(spec: LabelSpec, rng: np.random.Generator) -> Image.Image:
    """Render a white printed sticker on a kraft jacket, at 150 dpi."""
    line_height = 44
    sticker_size = (640, 40 + line_height * len(spec.lines))
    image = paper((sticker_size[0] + 140, sticker_size[1] + 130), KRAFT, rng, grain=6.0)
    sticker = paper(sticker_size, STICKER_WHITE, rng, grain=1.5)
    draw = ImageDraw.Draw(sticker)
    for index, line in enumerate(spec.lines):
        font_name = "sticker_bold" if index == 0 else "sticker"
        draw.text((24, 22 + line_height * index), line, font=font(font_name, 30 if index else 27), fill=(20, 20, 24))
    mask = Image.new("L", sticker_size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, sticker_size[0] - 1, sticker_size[1] - 1), radius=18, fill=255)
    image.paste(sticker, (70 + int(rng.integers(-12, 13)), 60 + int(rng.integers(-10, 11))), mask)
    return skew(image, KRAFT, rng)


def render_hand(spec: LabelSpec, rng: np.random.Generator, *, font_name: str) -> Image.Image:
    """Render hand-lettered lines in ballpoint blue on manila."""
    line_height = 86
    image = paper((1000, 80 + line_height * len(spec.lines)), MANILA, rng)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(spec.lines):
        origin = (60 + rng.uniform(-15, 15), 30 + line_height * index)
        draw_jittered_line(draw, origin, line, font_name, 58, BALLPOINT_BLUE, rng, jitter=2.5)
    return skew(image, MANILA, rng)


def render_scrawl(spec: LabelSpec, rng: np.random.Generator) -> Image.Image:
    """Render a preprinted jacket form whose hand-written entries are smeared until illegible.

    The printed clinic header and field captions stay sharp, so the page still looks
    like a label, but it names no owner, pet or chart number that anyone can read.
    """
    line_height = 90
    top = 70
    image = paper((900, top + 40 + line_height * len(spec.lines)), MANILA, rng)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(spec.lines):
        origin = (190 + rng.uniform(-25, 25), top + line_height * index)
        draw_jittered_line(draw, origin, line, spec.font or "dkg", 62, MARKER_BLACK, rng, jitter=9.0)

    pixels = np.asarray(image, np.float32)
    kernel = np.zeros((17, 17), np.float32)
    cv2.line(kernel, (0, 4), (16, 12), 1.0, 2)
    smeared = cv2.filter2D(pixels, -1, kernel / kernel.sum())
    smeared = cv2.GaussianBlur(smeared, (0, 0), 2.2)
    faded = np.asarray(MANILA, np.float32) + 0.8 * (smeared - np.asarray(MANILA, np.float32))
    height, width = faded.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    stain = np.exp(-(((xx - width * 0.62) / (width * 0.22)) ** 2 + ((yy - height * 0.5) / (height * 0.35)) ** 2))
    faded = faded * (1.0 - 0.25 * stain[..., None]) + np.asarray((120, 80, 40), np.float32) * 0.25 * stain[..., None]

    form = Image.fromarray(np.clip(faded, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(form)
    draw.text((40, 18), CLINIC_HEADER, font=font("sticker_bold", 30), fill=PRINTED_INK)
    for index, caption in enumerate(FORM_CAPTIONS[: len(spec.lines)]):
        baseline = top + line_height * index + 70
        draw.text((40, baseline - 34), caption, font=font("sticker", 26), fill=PRINTED_INK)
        draw.line((180, baseline, width - 40, baseline), fill=PRINTED_INK, width=2)
    return skew(form, MANILA, rng)


def render_label(spec: LabelSpec, rng: np.random.Generator) -> Image.Image:
    """Render the label of one jacket as an upright RGB image."""
    if spec.style == "typed":
        return render_typed(spec, rng)
    if spec.style in ("sticker", "phone"):
        return render_sticker(spec, rng)
    if spec.style == "hand":
        return render_hand(spec, rng, font_name=spec.font or "dancing")
    if spec.style == "scrawl":
        return render_scrawl(spec, rng)
    raise ValueError(f"unknown label style {spec.style!r}")


def phone_photo(label: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Photograph the label on a desk: perspective, uneven light and sensor noise, 1280 x 960."""
    width, height = 1280, 960
    desk = np.empty((height, width, 3), np.float32)
    shade = np.linspace(0.85, 1.1, width, dtype=np.float32)[None, :, None]
    desk[:] = np.asarray((120, 98, 76), np.float32) * shade
    label_pixels = np.asarray(label, np.float32)
    label_h, label_w = label_pixels.shape[:2]
    source = np.float32([[0, 0], [label_w, 0], [label_w, label_h], [0, label_h]])
    corners = np.float32([[200, 170], [1090, 120], [1130, 800], [170, 840]])
    corners += rng.uniform(-25, 25, corners.shape).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(label_pixels, matrix, (width, height), flags=cv2.INTER_LINEAR)
    coverage = cv2.warpPerspective(np.ones((label_h, label_w), np.float32), matrix, (width, height))[..., None]
    photo = desk * (1.0 - coverage) + warped * coverage
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.05 - 0.25 * (((xx - width * 0.35) / width) ** 2 + ((yy - height * 0.3) / height) ** 2)
    photo = photo * light[..., None] + rng.normal(0.0, 3.0, photo.shape).astype(np.float32)
    return Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "RGB")


def save_label(image: Image.Image, path: Path, style: str, rng: np.random.Generator) -> None:
    """Save a label scan in the format of ``path``; a phone photo is stored sideways with EXIF Orientation 6."""
    suffix = path.suffix.lower()
    dpi = STICKER_DPI if style in ("sticker", "phone") else SCAN_DPI
    if style == "phone":
        stored = phone_photo(image, rng).transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = ROTATE_90_CW_TO_DISPLAY
        stored.save(path, format="JPEG", quality=JPEG_QUALITY_PHOTO, exif=exif.tobytes())
        return
    # Typed and scrawled labels, and every page of the batch scanner, are scanned in gray.
    if style in ("typed", "scrawl") or suffix in (".tif", ".tiff"):
        image = image.convert("L")
    if suffix == ".png":
        image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi))
    elif suffix in (".jpg", ".jpeg"):
        image.save(path, format="JPEG", quality=JPEG_QUALITY_LABEL, dpi=(dpi, dpi))
    elif suffix in (".tif", ".tiff"):
        write_tiff(path, np.asarray(image), dpi)
    else:
        raise ValueError(f"no label format for {path.name}")
