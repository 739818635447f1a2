"""Checks on uploaded photos, shared by the farm profile and the product forms.

A photo is judged by its content, never by its name or the browser's Content-Type:
its size first (before reading it), then Pillow must recognise it as JPEG, PNG or
WebP and verify it. Pillow is only asked to try those three formats, so other
decoders never see an upload.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Far above any phone's photo; below Pillow's own decompression-bomb limit.
PHOTO_MAX_PIXELS = 60_000_000
# Pillow's name of each accepted format, and the extension a stored file gets.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def photo_format(file: File) -> str:
    """The photo's format (a key of PHOTO_FORMATS), or ValidationError saying what is wrong."""
    size = file.size
    if size is None or size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The image must not be larger than %(megabytes)d MB."),
            code="photo_too_large",
            params={"megabytes": PHOTO_MAX_BYTES // (1024 * 1024)},
        )
    not_a_photo = ValidationError(
        _("The file must be a JPEG, PNG or WebP image."), code="photo_type"
    )
    try:
        file.seek(0)
        with Image.open(file, formats=list(PHOTO_FORMATS)) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("The image is too large: %(megapixels)d megapixels at most."),
                    code="photo_too_many_pixels",
                    params={"megapixels": PHOTO_MAX_PIXELS // 1_000_000},
                )
            image.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise ValidationError(
            _("The image is too large: %(megapixels)d megapixels at most."),
            code="photo_too_many_pixels",
            params={"megapixels": PHOTO_MAX_PIXELS // 1_000_000},
        ) from error
    except Exception as error:  # Pillow raises many kinds on a broken or foreign file.
        raise not_a_photo from error
    finally:
        file.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise not_a_photo
    return image_format


def validate_photo(file: File) -> None:
    """A validator: a JPEG, PNG or WebP image of at most 5 MB that Pillow can read."""
    photo_format(file)


def photo_filename(original: str, image_format: str) -> str:
    """A safe name for storage whose extension matches the content: « Mes carottes.JPG »
    sent as a PNG is stored as ``mes-carottes.png``."""
    stem = slugify(Path(original).stem)[:60] or "photo"
    return f"{stem}.{PHOTO_FORMATS[image_format]}"
