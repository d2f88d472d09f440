"""Photos of children and adults: checked, shrunk for slow networks, stored privately."""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

LONGEST_SIDE = 480
# A phone's camera takes up to about 50 megapixels; a larger picture is a mistake or a
# "decompression bomb" (a few KB that unpack into gigabytes). Pillow refuses twice this.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def shrink_photo(upload) -> ContentFile:
    """A JPEG of at most 480 px a side, without EXIF (which may hold where it was taken)."""
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is larger than %(mb)s MB. Take a smaller one.")
            % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    try:
        image: Image.Image = Image.open(upload)  # reads the header only
        too_big = image.width * image.height > MAX_PIXELS
        if not too_big:
            image.load()
    except Image.DecompressionBombError:
        too_big = True
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("This file is not a photo (JPEG or PNG).")) from error
    if too_big:
        raise ValidationError(
            _("This picture is too large (more than 50 megapixels). Take a photo with the camera.")
        )
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return ContentFile(out.getvalue(), name="photo.jpg")


# Shown where a person has no photo (or it is missing from storage).
NO_PHOTO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" '
    'fill="#dee2e6"/><circle cx="32" cy="24" r="12" fill="#adb5bd"/><path d="M10 60c2-14 12-20 '
    '22-20s20 6 22 20z" fill="#adb5bd"/></svg>'
)


def child_photo_response(child) -> HttpResponseBase:
    """A child's photo only while the guardian's active consent covers photos: a withdrawn
    consent hides it (the silhouette) even where a stored file was left behind."""
    from enrollment.models import Consent

    if not Consent.objects.active().filter(child=child, covers_photos=True).exists():
        return photo_response(None)
    return photo_response(child.photo)


def photo_response(photo) -> HttpResponseBase:
    """A stored photo, or a grey silhouette when there is none. Views call this only after
    checking that the user may see the person."""
    response: HttpResponseBase
    try:
        if photo is None:
            raise FileNotFoundError
        response = FileResponse(photo.open("rb"), content_type="image/jpeg")
    except (FileNotFoundError, ValueError):
        response = HttpResponse(NO_PHOTO_SVG, content_type="image/svg+xml")
    # Private to this browser; a day is enough for a tablet to stop fetching the same faces.
    response["Cache-Control"] = "private, max-age=86400"
    return response
