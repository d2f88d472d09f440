"""Kiosk mode: a page handed to a parent or a worker on a staff member's tablet (the parents'
survey at pickup, training feedback, the training sign-in desk).

Opening such a page from a signed-in browser puts that browser in kiosk mode: every other
address of the portal leads back to the kiosk page until the staff member ends it with
their PIN or password, so the person holding the tablet cannot wander into the board, a
family's page or the training lists behind it."""

from collections.abc import Callable
from typing import TypedDict

from django.conf import settings
from django.http import HttpRequest, HttpResponseForbidden, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

SESSION_KEY = "kiosk"
# Wrong PINs or passwords at the kiosk's exit before the browser is signed out altogether.
EXIT_TRIES = 5


class KioskState(TypedDict):
    """What the session keeps of kiosk mode."""

    allowed: list[str]  # the paths that answer
    home: str  # where every other address leads
    tries: int  # wrong PINs or passwords at the exit so far


def enter(request: HttpRequest, *, allowed: list[str], home: str | None = None) -> None:
    """Put a signed-in browser in kiosk mode on the ``allowed`` paths (the first, or
    ``home``, is where every other address leads). Not signed in: nothing to protect."""
    if not request.user.is_authenticated:
        return
    state: KioskState | None = request.session.get(SESSION_KEY)
    if state and set(allowed) <= set(state["allowed"]):
        return
    request.session[SESSION_KEY] = KioskState(
        allowed=sorted(set(allowed) | set(state["allowed"] if state else ())),
        home=(state["home"] if state else None) or home or allowed[0],
        tries=0,
    )


def state(request: HttpRequest) -> KioskState | None:
    return request.session.get(SESSION_KEY) if hasattr(request, "session") else None


def leave(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def wrong_try(request: HttpRequest) -> int:
    """Count a wrong PIN or password at the exit; returns how many tries are left."""
    current: KioskState = request.session[SESSION_KEY]
    current["tries"] += 1
    request.session.modified = True
    return EXIT_TRIES - current["tries"]


def _always_open() -> set[str]:
    return {reverse("set_language"), reverse("kiosk_exit"), reverse("healthz")}


class KioskMiddleware:
    """In kiosk mode, only the kiosk's own pages answer; every other page leads back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        current = state(request)
        if current and not self._allowed(request.path, current):
            if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
                return HttpResponseRedirect(current["home"])
            return HttpResponseForbidden()
        return self.get_response(request)

    def _allowed(self, path: str, current: KioskState) -> bool:
        return (
            path in current["allowed"]
            or path in _always_open()
            or path.startswith(settings.STATIC_URL)
        )
