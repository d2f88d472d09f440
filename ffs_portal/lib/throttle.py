"""Counting requests in a window, in the cache that all web processes share."""

import logging
from datetime import timedelta

from django.core.cache import cache

logger = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window: timedelta) -> bool:
    """Count one more request under ``key``: False once more than ``limit`` came within
    ``window`` of the first. Also False when the counters cannot be reached: a throttle
    that gives way whenever its store is down protects nothing."""
    seconds = max(1, int(window.total_seconds()))
    try:
        # add() starts the window at the first request only; incr() is atomic on Redis
        # and leaves the key's expiry alone, so concurrent requests are all counted.
        cache.add(key, 0, timeout=seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between the two calls
            cache.set(key, 1, timeout=seconds)
            count = 1
    except Exception:
        logger.warning(
            "throttle counters unreachable; refusing %s", key.split(":")[0], exc_info=True
        )
        return False
    return count <= limit
