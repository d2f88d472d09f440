"""Rendered boards, kept in each web process: the tablets of a site opening or refreshing
their board at the same version cost one render per process, not one each.

What a board shows depends on the site, its version (``selectors.board_version``: the same
fingerprint that answers a refresh with 204, so a cached board is exactly as current as the
204 already is), the language, and whether the user sees health details (the medicine
reminders). Nothing else of the user goes into it: whoever may open the site's board
(``access``, USE_BOARD) sees the same children, records and incidents of that site, and the
fragments carry no token or name of the user. A search is never cached. The same holds for
what a refresh sends when only some tiles changed (``views._changes``), kept by the version
the tablet held and the version it is sent.

Kept in the process rather than in Redis: no network round trip, nothing to fall back from
when Redis is down, nothing shared between test databases."""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import get_language

from ffs_portal import access

T = TypeVar("T")

# A few versions of a few hundred sites' boards (a rendered board of 200 children is about
# 120 KB): a version is used for seconds, then replaced.
KEEP = 64

_lock = threading.Lock()
_rendered: OrderedDict[tuple, object] = OrderedDict()


def key(site, fingerprint: str, user, variant: str) -> tuple:
    return (site.pk, fingerprint, get_language(), access.sees_health_details(user), variant)


def get_or_render(cache_key: tuple, render: Callable[[], T]) -> T:
    """What ``render`` gives for ``cache_key``, rendered once while it is kept."""
    with _lock:
        if cache_key in _rendered:
            _rendered.move_to_end(cache_key)
            return _rendered[cache_key]  # type: ignore[return-value]
    value = render()
    with _lock:
        _rendered[cache_key] = value
        while len(_rendered) > KEEP:
            _rendered.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _rendered.clear()
