import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ffs_portal import account_views, audit, kiosk, services, two_factor
from ffs_portal.access import AuthenticatedHttpRequest
from ffs_portal.forms import AccountSettingsForm
from ffs_portal.lib import broker_probe
from ffs_portal.lib.client_address import client_address
from ffs_portal.lib.urls import safe_next
from ffs_portal.models import Role

logger = logging.getLogger(__name__)

LANDING_PAGES: dict[str, str] = {
    Role.HR: "enrollment:family_list",
    Role.CHILDCARE: "attendance:board",
    Role.SITE_LEAD: "attendance:board",
    Role.COORDINATOR: "attendance:dashboard",
    Role.ADMIN: "attendance:dashboard",
    Role.SPONSOR: "outcomes:reports",
}


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands on the page it uses most."""
    return redirect(LANDING_PAGES[request.user.role])


class LoginView(auth_views.LoginView):
    """Django's login (which rotates the session key), keeping the language the person
    chose on the sign-in page, then the second factor where the account has or needs one
    (ffs_portal.two_factor). User names are matched ignoring case. Someone signed in
    already (Back after an act, a bookmark) goes to their landing page instead of seeing the
    form again."""

    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        # A registered tablet shows its lock screen; a password is one tap further.
        tablet = getattr(request, "tablet", None)
        if (
            tablet is not None
            and "password" not in request.GET
            and not request.user.is_authenticated
        ):
            return redirect("tablet:lock_screen")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = form.get_user()
        if chosen in dict(settings.LANGUAGES) and chosen != user.language:
            user.language = chosen
            user.save(update_fields=["language"])
        # The password was right; a second factor may still be asked before signing in.
        return account_views.sign_in(
            self.request, user, backend=user.backend, next_url=self.get_success_url()
        )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, except that a worker looks the address up and sends the e-mail,
    and only a few requests an hour go out per e-mail address and per client address. Every
    request gets the same answer, sent or not."""

    def form_valid(self, form):
        services.password_reset_request(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        return HttpResponseRedirect(self.get_success_url())


def account_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each user's own settings: language, the daily e-mail and its hour, and the e-mail
    address, which only changes with the current password."""
    form = AccountSettingsForm(request.POST or None, instance=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        services.account_settings_save(user=request.user, **form.settings())
        response = redirect("account_settings")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        translation.activate(request.user.language)
        messages.success(request, _("Settings saved."))
        return response
    return render(
        request,
        "account_settings.html",
        {
            "form": form,
            "two_factor_on": two_factor.is_set_up(request.user),
            "codes_left": two_factor.recovery_codes_left(request.user),
        },
    )


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch between Simplified Chinese and English; remembered for the user and the device."""
    language = request.POST.get("language")
    response = HttpResponseRedirect(safe_next(request, request.POST.get("next")))
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_POST
def kiosk_exit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The staff member ends kiosk mode on their tablet with their own PIN (or password).
    Too many wrong tries sign the tablet out: whoever holds it then needs a full sign-in."""
    current = kiosk.state(request)
    if current is None:
        raise Http404
    if _is_theirs(request.user, request.POST.get("secret", "")):
        kiosk.leave(request)
        audit.record(actor=request.user, action="kiosk.ended")
        return redirect("home")
    audit.record(actor=request.user, action="kiosk.exit_refused")
    left = kiosk.wrong_try(request)
    if left <= 0:
        logout(request)
        return redirect("login")
    messages.error(
        request,
        _("That is not the PIN or password of %(name)s. %(left)s tries left.")
        % {"name": request.user.get_full_name() or request.user.username, "left": left},
    )
    return HttpResponseRedirect(current["home"])


def _is_theirs(user, secret: str) -> bool:
    """The signed-in person's duty-clock PIN (throttled there) or their password."""
    from django.core.exceptions import ValidationError

    from staff import services as staff_services
    from staff.models import StaffProfile

    if not secret:
        return False
    profile = StaffProfile.objects.taking_pins().filter(user=user).first()
    if profile is not None and secret.isdigit() and len(secret) <= 8:
        try:
            staff_services.pin_check(profile, secret)
        except ValidationError:
            return False
        return True
    return user.check_password(secret)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    from ffs_portal.celery import app

    return broker_probe.reachable(app.conf.broker_url)


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Database and broker status for load balancers and docker-compose; no data in it.

    The portal serves pages without the broker (only e-mails wait), so a broker outage
    reports "degraded" with status 200; a database outage is a 503. The broker is asked
    once, briefly, and its answer kept a few seconds: a broker that is down or hanging
    costs this page no more than a tenth of a second.
    """
    database = _database_ok()
    broker = _broker_ok()
    status = "ok" if database and broker else ("degraded" if database else "down")
    return JsonResponse(
        {
            "status": status,
            "database": "ok" if database else "unavailable",
            "broker": "ok" if broker else "unavailable",
        },
        status=200 if database else 503,
    )
