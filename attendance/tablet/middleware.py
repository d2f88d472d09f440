"""The shared tablet on every request: which registered tablet the browser is (its signed
cookie), and, for a session on a tablet, the idle lock and the pages a PIN opens.

A PIN is weaker than a password, so a session opened with one reaches the door's pages of
the tablet's own site and nothing else: not HR's pages, not another site, not the account's
password or e-mail. Its acts are the person's own (request.user is them)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from attendance.tablet import selectors, services
from attendance.tablet.models import Tablet


class TabletRequest(HttpRequest):
    """A request once this middleware has seen it: ``tablet`` is the registered tablet the
    browser is, or None. For annotations only."""

    tablet: Tablet | None


def tablet_of(request: HttpRequest) -> Tablet | None:
    """The registered tablet the request comes from, or None."""
    return getattr(request, "tablet", None)


COOKIE = "ffs_tablet"
COOKIE_SALT = "ffs_portal.tablet"
FORGET_COOKIE = "ffs_tablet_forget"
# A tablet stays registered until a lead revokes it; the cookie is renewed as it is used.
COOKIE_AGE = 400 * 24 * 60 * 60
SESSION_TABLET = "tablet"
SESSION_SEEN = "tablet_seen"
SESSION_PIN = "tablet_pin"
# The page's own idle lock comes first; the server's follows a little later.
SERVER_GRACE_SECONDS = 30
# A touch is written to the session at most this often: a tap every few seconds in the
# morning rush would otherwise save the session (three statements) on every check-in. The
# server's lock may then come this much earlier, still after the page's own.
SEEN_EVERY_SECONDS = 15
# Requests the tablet makes by itself (the board's refresh) say so; they are not a touch.
POLL_HEADER = "X-Tablet-Poll"

# What a PIN session may open: the door's pages, on the tablet's own site.
PIN_PAGES = {
    "attendance": {
        "board",
        "site_board",
        "board_live",
        "check_in_many",
        "undo_check_in",
        "scan",
        "day_sheet",
        "incident_list",
        "child_sheet",
        "check_in",
        "check_out",
        "refuse_pickup",
        "mark_absent",
        "clear_absence",
        "incident_new",
        "child_calendar",
        "incident_detail",
        "signature",
        "roll_call",
        "roll_call_detail",
        "roll_call_live",
        "roll_call_mark",
        "roll_call_end",
        "roll_call_log",
        "refused_list",
    },
    "health": {"health_check", "noon_check", "child_medicines", "site_health", "give_dose"},
    "tablet": {
        "lock_screen",
        "unlock",
        "lock",
        "face",
        "sync",
        "roster",
        "service_worker",
        "offline_review",
    },
    "staff": {"duty", "site_staff"},
    "enrollment": {"child_photo", "adult_photo"},
    "outcomes": {"survey_start", "survey", "survey_thanks"},
    "": {"home", "set_language", "kiosk_exit", "healthz", "logout"},
}


def cookie_value(tablet) -> str:
    """The tablet's cookie, signed as ``request.get_signed_cookie`` reads it."""
    return signing.get_cookie_signer(salt=COOKIE + COOKIE_SALT).sign(str(tablet.key))


def set_cookie(response, tablet) -> None:
    response.set_cookie(
        COOKIE,
        cookie_value(tablet),
        max_age=COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def open_session(request, tablet, *, pin: bool) -> None:
    request.session[SESSION_TABLET] = tablet.pk
    request.session[SESSION_PIN] = pin
    request.session[SESSION_SEEN] = int(time.time())


def _may_open(request, tablet) -> bool:
    if request.path.startswith(settings.STATIC_URL):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # a 404 shows nothing
    if match.url_name not in PIN_PAGES.get(match.namespace or "", set()):
        return False
    site = match.kwargs.get("site")
    return site is None or int(site) == tablet.site_id


class TabletMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT)
        request.tablet = selectors.tablet_by_key(key) if key else None
        refused = self._check_session(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if COOKIE in request.COOKIES and request.tablet is None:
            # Revoked, or not one of ours: forgotten; the browser is an ordinary one again,
            # and the next page it shows wipes what it kept of the day's children.
            response.delete_cookie(COOKIE, samesite="Lax")
            response.set_cookie(FORGET_COOKIE, "1", max_age=3600, httponly=True, samesite="Lax")
        elif request.tablet is not None:
            services.tablet_seen(request.tablet)
        return response

    def _check_session(self, request):
        user = request.user
        if not user.is_authenticated:
            return None
        tablet = request.tablet
        opened_on = request.session.get(SESSION_TABLET)
        if opened_on is None:
            if tablet is not None:
                # Signed in with a password on a registered tablet: it locks when idle too.
                open_session(request, tablet, pin=False)
            return None
        if tablet is None or tablet.pk != opened_on:
            # The tablet was revoked (or its cookie is gone): nobody stays signed in on it.
            logout(request)
            return self._locked(request, reverse("login"))
        idle = int(time.time()) - request.session.get(SESSION_SEEN, 0)
        if idle > tablet.site.tablet_lock_minutes * 60 + SERVER_GRACE_SECONDS:
            services.tablet_locked(tablet=tablet, user=user, idle=True)
            logout(request)
            return self._locked(request, reverse("tablet:lock_screen"))
        if request.session.get(SESSION_PIN) and not _may_open(request, tablet):
            if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
                return HttpResponseRedirect(reverse("attendance:site_board", args=[tablet.site_id]))
            return HttpResponse(status=403)
        if not request.headers.get(POLL_HEADER) and idle >= SEEN_EVERY_SECONDS:
            request.session[SESSION_SEEN] = int(time.time())
        return None

    def _locked(self, request, to: str):
        # An act sent from a page that is locked meanwhile sees the redirect too: the board
        # then says the act was not saved, and goes to the lock screen.
        return HttpResponseRedirect(to)
