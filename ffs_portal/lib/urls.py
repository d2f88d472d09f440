"""Addresses taken from what a user sent."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, value: str | None, default: str = "/") -> str:
    """Where to go back to, from a ``next`` parameter: a path on this portal, or ``default``.
    Whatever a user sent is never given to ``redirect()``, which would try it as a view's
    name."""
    value = (value or "").strip()
    if (
        value.startswith("/")
        and "\x00" not in value
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return default
