"""Sign-in throttling on top of django-axes' database records.

Two counts, each with its own limit, over the failures of the cool-off period:
- per user name, from any address (AXES_FAILURE_LIMIT): guessing one account's password
  from many addresses;
- per address, for any user names (AXES_ADDRESS_FAILURE_LIMIT, higher because a whole
  factory may reach the portal through one address): trying a few passwords on many accounts.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.shortcuts import render


def username_of(request, credentials: dict | None = None) -> str | None:
    """The user name of a sign-in, as accounts are matched: ignoring case. "Zhou.Li" and
    "zhou.li" count towards one lock-out."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username.casefold() if isinstance(username, str) else username


def failures(request, credentials: dict | None = None) -> tuple[int, int]:
    """Failed sign-ins within the cool-off: for this user name, and from this address."""
    username = get_client_username(request, credentials)
    address = request.axes_ip_address
    counts = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=address),
        attempt_time__gte=get_cool_off_threshold(request),
    ).aggregate(
        by_username=Sum("failures_since_start", filter=Q(username=username)),
        by_address=Sum("failures_since_start", filter=Q(ip_address=address)),
    )
    return counts["by_username"] or 0, counts["by_address"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for each count."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_username, by_address = failures(request, credentials)
        # Axes compares one number with one limit (AXES_FAILURE_LIMIT). The address's count
        # is shifted so that it reaches that limit exactly when it reaches its own.
        shift = settings.AXES_ADDRESS_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT
        return max(by_username, by_address - shift)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful sign-in, forget only this user name's failures from this
        address. Forgetting all of the address's would let someone with an account of
        their own sign in between guesses on others' and never reach the address's limit;
        forgetting the user name's from elsewhere would hand a guesser a fresh allowance."""
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """The lock-out page, saying whether the account or the address is paused: the person
    at a factory whose colleagues mistyped can still sign in from another network."""
    by_username, _by_address = failures(request, credentials)
    cool_off = get_cool_off(request)
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {
            "by_address": by_username < settings.AXES_FAILURE_LIMIT,
            "minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
