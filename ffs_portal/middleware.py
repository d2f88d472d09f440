import base64
import hashlib
import logging
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

SUPPORTED = {code for code, _name in settings.LANGUAGES}

logger = logging.getLogger(__name__)


def queued_seconds(header: str, now: float) -> float | None:
    """How long a request waited since the proxy took it, from ``X-Request-Start``:
    ``t=<seconds since the epoch>`` (nginx's $msec) or milliseconds (other proxies); None
    when the header is missing or unreadable."""
    value = header.removeprefix("t=").strip()
    try:
        started = float(value)
    except ValueError:
        return None
    if started > 1e11:  # milliseconds
        started /= 1000
    return now - started


class QueueTimeMiddleware:
    """A request that waited in the proxy's queue longer than the tablet waits for an answer
    (REQUEST_QUEUE_LIMIT_SECONDS) is answered 503 at once, before any work: nobody is
    waiting for it, and working on it would only make the queue longer. The tablet sends
    the act again with the same key, which is safe.

    The board's own refresh (``X-Tablet-Poll``) gives way sooner (POLL_QUEUE_LIMIT_SECONDS):
    nobody tapped for it, the next one comes five seconds later, and while the queue is long
    the check-ins it would wait behind matter more. The board shows nothing of a refresh that
    was not answered."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.REQUEST_QUEUE_LIMIT_SECONDS
        self.poll_limit = settings.POLL_QUEUE_LIMIT_SECONDS

    def __call__(self, request):
        header = request.META.get("HTTP_X_REQUEST_START")
        if header and self.limit:
            waited = queued_seconds(header, time.time())
            limit = self.poll_limit if request.META.get("HTTP_X_TABLET_POLL") else self.limit
            if waited is not None and waited > limit:
                logger.warning("answered 503 after %.1f s in the queue: %s", waited, request.path)
                response = busy_page(request)
                response["Retry-After"] = "1"
                return response
        return self.get_response(request)


# Said before the session or the user's language is read: Chinese first, then English.
BUSY_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>系统繁忙 · Busy</title>
<style>{style}</style></head>
<body><h1>系统繁忙</h1><p>{zh}</p><p lang="en">{en}</p>
<a href="{again}">再试一次 · Try again</a></body></html>
"""
BUSY_STYLE = (
    "body{font:1.25rem/1.6 system-ui,sans-serif;margin:2rem;color:#212529}"
    "a{display:inline-block;margin-top:1rem;padding:.75rem 1.5rem;border-radius:.5rem;"
    "background:#0d6efd;color:#fff;text-decoration:none}"
)
# The page is answered before SecurityHeadersMiddleware: its own policy allows its style only.
BUSY_POLICY = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(BUSY_STYLE.encode()).digest()).decode()
    + "'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)


def busy_page(request) -> HttpResponse:
    """The 503 of a request that waited too long. The board's own requests (htmx) get a line
    of text: the board sends them again by itself. A page opened in the browser (the lock
    screen, the PIN) gets a page in Chinese and English: a page asked for is asked again by
    itself after two seconds; after a form (a PIN), the way back to the page it came from."""
    if request.headers.get("HX-Request"):
        return HttpResponse(
            "Busy: try again.", status=503, content_type="text/plain; charset=utf-8"
        )
    if request.method in ("GET", "HEAD"):
        again, refresh = request.get_full_path(), '\n<meta http-equiv="refresh" content="2">'
        zh, en = "请稍等，两秒后自动重试。", "Busy: trying again in two seconds."
    else:
        referer = request.headers.get("Referer", "")
        try:
            ours = url_has_allowed_host_and_scheme(referer, request.get_host())
        except DisallowedHost:
            ours = False
        again = referer if ours else "/"
        refresh = ""
        zh, en = "没有保存，请再试一次。", "Busy: nothing was saved, please try again."
    body = BUSY_PAGE.format(refresh=refresh, style=BUSY_STYLE, zh=zh, en=en, again=escape(again))
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = BUSY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def preferred_language(request) -> str:
    """The user's own choice, then the language cookie, then Simplified Chinese.

    The browser's Accept-Language is not consulted: the portal is Chinese first, and a shared
    tablet or a borrowed laptop should not switch language by itself.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = preferred_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user hold children's data: keep them out of shared caches
    and out of a shared tablet's back-button history."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        return response


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy and Permissions-Policy on every answer: the portal
    serves every script, style sheet, font and image itself and runs no inline script, so
    injected markup can neither run nor reach another site. A view may set its own policy
    (the e-mail preview's frame does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than the largest upload accepted before any of
    it is read: Django would otherwise write a 100 MB upload to disk before a form refused
    it. The proxy in front refuses them too (docker-compose)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            from django.template.response import TemplateResponse

            response = TemplateResponse(
                request,
                "413.html",
                {"max_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
                status=413,
            )
            response.render()
            # The body was not read: the connection cannot carry another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character anywhere in the address or the form is a 400: no person types one,
    and PostgreSQL refuses to store or compare text holding it (a 500 otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http.multipartparser import MultiPartParserError

        try:
            unreadable = "\x00" in request.path or _has_nul(request.GET) or _has_nul(request.POST)
        except MultiPartParserError:
            unreadable = True  # a broken upload form: the same answer, not a 500
        if unreadable:
            from django.template.response import TemplateResponse

            response = TemplateResponse(request, "400.html", status=400)
            response.render()
            return response
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class AccountStateMiddleware:
    """A signed-in session reaches the portal only in a good state: a coordinator's or
    administrator's session that did not pass the second factor is ended (sign in again),
    and someone signed in with a one-time password chooses their own before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login
        from django.http import HttpResponseForbidden, HttpResponseRedirect
        from django.urls import reverse

        from ffs_portal import two_factor
        from ffs_portal.account_views import CHOOSE_OWN_SESSION_KEY

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(settings.STATIC_URL)
        ):
            return self.get_response(request)
        if user.needs_two_factor and not two_factor.passed(request):
            logout(request)
            return redirect_to_login(request.get_full_path())
        if user.must_change_password and request.session.get(CHOOSE_OWN_SESSION_KEY):
            open_paths = {reverse("password_choose"), reverse("logout"), reverse("set_language")}
            if request.path not in open_paths:
                if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
                    return HttpResponseRedirect(reverse("password_choose"))
                return HttpResponseForbidden()
        return self.get_response(request)
