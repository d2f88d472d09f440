"""Values taken from what a browser sent."""

import re

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(value) -> int | None:
    """A record's number sent in a form or a query string ("12"), or None for anything else
    ("abc", "", "²", a number too long for a database column)."""
    value = str(value or "").strip()
    return int(value) if WHOLE_NUMBER.fullmatch(value) else None
