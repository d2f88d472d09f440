"""Whether the task broker answers, asked the way a health check must: one short attempt,
its answer kept for a few seconds, so a broker that is down or hanging never holds a web
worker (a load balancer may ask every second, from every node)."""

import logging
import threading
import time

import redis
from kombu import Connection

logger = logging.getLogger(__name__)

# One attempt, connecting and answering within this; a broker slower than that is as good
# as down for a health check.
TIMEOUT_SECONDS = 0.1
# How long an answer is kept.
KEEP_SECONDS = 5.0

_answers: dict[str, tuple[float, bool]] = {}
_probing = threading.Lock()


def _ask(url: str) -> bool:
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=TIMEOUT_SECONDS,
                socket_timeout=TIMEOUT_SECONDS,
                retry_on_timeout=False,
            )
            try:
                return bool(client.ping())
            finally:
                client.close()
        with Connection(url, connect_timeout=TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=0)
        return True
    except Exception:
        logger.warning("broker unreachable", exc_info=True)
        return False


def reachable(url: str) -> bool:
    """Whether the broker at ``url`` answered, as of at most ``KEEP_SECONDS`` ago. While one
    thread asks, the others answer with what was last known (unreachable when nothing is)."""
    now = time.monotonic()
    known = _answers.get(url)
    if known is not None and now - known[0] < KEEP_SECONDS:
        return known[1]
    if not _probing.acquire(blocking=False):
        return known[1] if known is not None else False
    try:
        answer = _ask(url)
        _answers[url] = (time.monotonic(), answer)
        return answer
    finally:
        _probing.release()


def forget() -> None:
    """Drop the kept answers (the next call asks again)."""
    _answers.clear()
