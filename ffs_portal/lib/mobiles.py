"""Mainland mobile numbers as people type them: "+86 139 1234 5678", "139-1234-5678",
full-width digits. One reading for the web forms and the roster import."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Marks people put between the digits; they carry nothing.
SEPARATORS = re.compile(r"[\s\-‐‑–—()（）.·/]")


def mobile_digits(value) -> str:
    """The number without its separators and its country code (+86, 0086, 86 before 11
    digits); full-width digits as ordinary ones. Not checked."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    digits = SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def read_mobile(value) -> str:
    """The 11 digits of a mainland mobile number typed in any of the usual ways, or "" for
    nothing typed; ValidationError with a sentence that says what is wrong, never a number
    cut to fit."""
    typed = str(value or "").strip()
    digits = mobile_digits(typed)
    if not digits:
        return ""
    facts = {"value": typed, "count": len(digits)}
    if not digits.isdigit() or not digits.isascii():
        raise ValidationError(
            _("“%(value)s” is not a mobile number. Write its 11 digits, for example 13812345678.")
            % facts,
            code="invalid_mobile",
        )
    if len(digits) == 12:
        raise ValidationError(
            _(
                "“%(value)s” has 12 digits: one too many. A mainland mobile number has 11; "
                "check it against the phone."
            )
            % facts,
            code="mobile_too_long",
        )
    if len(digits) == 10:
        raise ValidationError(
            _(
                "“%(value)s” has 10 digits: one is missing. A mainland mobile number has 11; "
                "check it against the phone."
            )
            % facts,
            code="mobile_too_short",
        )
    if len(digits) != 11:
        raise ValidationError(
            _(
                "“%(value)s” has %(count)s digits; a mainland mobile number has 11, for "
                "example 13812345678."
            )
            % facts,
            code="invalid_mobile",
        )
    if not digits.startswith("1"):
        raise ValidationError(
            _(
                "“%(value)s” does not start with 1: a mainland mobile number has 11 digits "
                "starting with 1. Check it."
            )
            % facts,
            code="invalid_mobile",
        )
    return digits
