"""Rendered boards: the tablets of a site opening or refreshing their board at the same
version cost one render, not one each.

What a board shows depends on the site, its version (``selectors.board_version``: the same
fingerprint that answers a refresh with 204, so a kept board is exactly as current as the
204 already is), the language, and whether the user sees health details (the medicine
reminders). Nothing else of the user goes into it: whoever may open the site's board
(``access``, USE_BOARD) sees the same children, records and incidents of that site, and the
fragments carry no token or name of the user. A search is never kept. The same holds for
what a refresh sends when only some tiles changed (``views._changes``), kept by the version
the tablet held and the version it is sent.

Two levels: each web process keeps the last few boards in its memory; with Redis configured,
every process also finds the boards the others rendered there (one render per version across
the web tier, whatever process a tablet's request reaches). Redis is only a help: when it
fails, the process renders by itself and leaves Redis alone for ``REDIS_PAUSE`` seconds, so
that an outage costs one slow request per process now and then, not every request."""

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import get_language

from ffs_portal import access

T = TypeVar("T")
logger = logging.getLogger(__name__)

# A few versions of a few hundred sites' boards (a rendered board of 200 children is about
# 120 KB): a version is used for seconds, then replaced.
KEEP = 64
# How long Redis keeps a board: longer than a version lives (five minutes at most).
KEEP_SECONDS = 300
REDIS_PAUSE = 10

_lock = threading.Lock()
_rendered: OrderedDict[tuple, object] = OrderedDict()
_redis_paused_until = 0.0
# Changed by ``clear``: boards kept in Redis before are not found again.
_generation = ""


def key(site, fingerprint: str, user, variant: str) -> tuple:
    # The database's name: test databases of parallel runs share one Redis.
    return (
        connection.settings_dict["NAME"],
        site.pk,
        fingerprint,
        get_language(),
        access.sees_health_details(user),
        variant,
    )


def get_or_render(cache_key: tuple, render: Callable[[], T]) -> T:
    """What ``render`` gives for ``cache_key``, rendered once while it is kept."""
    with _lock:
        if cache_key in _rendered:
            _rendered.move_to_end(cache_key)
            return _rendered[cache_key]  # type: ignore[return-value]
    shared = "board:" + hashlib.sha256(repr((_generation, cache_key)).encode()).hexdigest()
    value = _from_redis(shared)
    if value is None:
        value = render()
        _to_redis(shared, value)
    with _lock:
        _rendered[cache_key] = value
        while len(_rendered) > KEEP:
            _rendered.popitem(last=False)
    return value


def _redis_usable() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return backend.endswith("RedisCache") and time.monotonic() >= _redis_paused_until


def _redis_failed(error: Exception) -> None:
    global _redis_paused_until
    _redis_paused_until = time.monotonic() + REDIS_PAUSE
    logger.warning("rendered boards: Redis unreachable (%s), rendering alone for a while", error)


def _from_redis(shared: str):
    if not _redis_usable():
        return None
    try:
        return cache.get(shared)
    except Exception as error:  # noqa: BLE001 - any failure of Redis means "not found"
        _redis_failed(error)
        return None


def _to_redis(shared: str, value) -> None:
    if not _redis_usable():
        return
    try:
        cache.set(shared, value, KEEP_SECONDS)
    except Exception as error:  # noqa: BLE001 - the board was rendered; keeping it is a help
        _redis_failed(error)


def clear(*, this_process_only: bool = False) -> None:
    """Forget every board kept (each test starts with none: an earlier test's site may have
    had the same id and version); ``this_process_only`` keeps those in Redis, as a process
    that has rendered nothing yet finds them."""
    global _redis_paused_until, _generation
    with _lock:
        _rendered.clear()
    if not this_process_only:
        _redis_paused_until = 0.0
        _generation = uuid.uuid4().hex
