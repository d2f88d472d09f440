"""Photos of children and adults: checked, shrunk for slow networks, stored privately."""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

LONGEST_SIDE = 480


def shrink_photo(upload) -> ContentFile:
    """A JPEG of at most 480 px a side, without EXIF (which may hold where it was taken)."""
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is larger than %(mb)s MB. Take a smaller one.")
            % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    try:
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(_("This file is not a photo (JPEG or PNG).")) from error
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return ContentFile(out.getvalue(), name="photo.jpg")
