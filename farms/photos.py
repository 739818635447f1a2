"""Uploaded photos are stored re-encoded, never as sent: Pillow draws the picture
again, which drops anything appended to the file (HTML after a PNG's end) and every
metadata block (EXIF, GPS position included), turns it upright, and fits it in
1600 × 1600 px. A 400 px WebP thumbnail goes beside it, for the shop's rows."""

import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, ImageOps

MAX_SIDE = 1600
THUMB_SIDE = 400
_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85, "method": 4},
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def _drawn(file: UploadedFile | io.BytesIO, side: int) -> Image.Image:
    file.seek(0)
    with Image.open(file) as source:
        image = ImageOps.exif_transpose(source) or source
        image.load()
        picture = image.copy()  # pixels only: no info, no EXIF
    picture.info = {}
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    return picture


def reencoded(file: UploadedFile, image_format: str) -> UploadedFile:
    """The photo drawn again in its own format, upright, without metadata, at most
    1600 px a side. `image_format` is what `validators.photo_format` found."""
    picture = _drawn(file, MAX_SIDE)
    if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, format=image_format, **_SAVE_OPTIONS[image_format])
    return SimpleUploadedFile(
        file.name or "photo", out.getvalue(), content_type=CONTENT_TYPES[image_format]
    )


def thumbnail(file: UploadedFile) -> ContentFile:
    """A 400 px WebP of the (already re-encoded) photo, named after it."""
    picture = _drawn(file, THUMB_SIDE)
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=80, method=4)
    return ContentFile(out.getvalue(), name=f"{Path(file.name or 'photo').stem}-thumb.webp")
