"""The address of the person making a request, for throttling sign-ins and password resets."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT trusted reverse proxies
    the X-Forwarded-For entry the outermost of them added.

    Each proxy appends the address it was reached from, so only the last TRUSTED_PROXY_COUNT
    entries were written by our proxies; anything to their left came from the client and
    may be forged. Without a configured proxy the header is ignored altogether.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    # Fewer entries than proxies: the request did not come through all of them. Counting
    # it under the proxy's own address is safe; trusting what the client sent is not.
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
