"""Signing in beyond the password: the second factor (and setting it up), the invitation's
link, and choosing one's own password after a one-time one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ffs_portal import audit, services, two_factor
from ffs_portal.forms import CodeForm
from ffs_portal.lib.urls import safe_next

# The invitation's secret moves from the address into the session at once, so that it is
# neither in the browser's history nor sent on as a Referer (as Django's password reset does).
INVITATION_SESSION_KEY = "invitation_token"
# Set in a session signed in with a one-time password, until the person chooses their own.
CHOOSE_OWN_SESSION_KEY = "one_time_sign_in"
# Recovery codes are shown once, on the page after they are made.
CODES_SHOWN_ONCE = "two_factor_recovery_codes"


def sign_in(request, user, *, backend: str, next_url: str):
    """After the password: sign in, or hold the person for their second factor (or for
    setting one up, when their role needs it and they have none yet)."""
    if two_factor.asks_code(user):
        two_factor.hold(request, user, backend=backend, next_url=resolve_url(next_url))
        if two_factor.is_set_up(user):
            return redirect("two_factor_verify")
        return redirect("two_factor_setup")
    auth_login(request, user, backend=backend)
    _password_to_choose(request, user)
    return redirect(next_url)


def _finish(request, user, device):
    """The second step passed: the held person is signed in."""
    next_url = two_factor.held_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL)
    backend = two_factor.held_backend(request)
    two_factor.drop(request)
    auth_login(request, user, backend=backend)
    two_factor.mark_passed(request.session, device)
    _password_to_choose(request, user)
    return next_url


def _password_to_choose(request, user) -> None:
    """A session opened with a one-time password goes nowhere before the person chooses
    their own (AccountStateMiddleware). A tablet's PIN session is not one."""
    if user.must_change_password:
        request.session[CHOOSE_OWN_SESSION_KEY] = True


@login_not_required
@never_cache
@sensitive_post_parameters("code")
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = two_factor.held(request)
    if user is None:
        messages.info(request, _("Sign in with your user name and password first."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user, form.cleaned_data["code"])
        if device is not None:
            next_url = _finish(request, user, device)
            if two_factor.is_recovery(device):
                audit.record(actor=user, action="account.recovery_code_used", about=user)
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; it will not work again. "
                        "%(left)s codes are left. If your phone is lost, set up the app again "
                        "under My settings."
                    )
                    % {"left": two_factor.recovery_codes_left(user)},
                )
            return redirect(safe_next(request, next_url))
        audit.record(actor=user, action="account.two_factor_refused", about=user)
        left = two_factor.wrong_code(request)
        if left <= 0:
            messages.error(request, _("Too many wrong codes. Sign in again from the start."))
            return redirect("login")
        form.add_error(
            "code",
            _(
                "This code is not right, or it was used already. Type the code the app shows "
                "now. %(left)s tries left."
            )
            % {"left": left},
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "held": user})


@login_not_required
@never_cache
@sensitive_post_parameters("code")
def two_factor_setup(request):
    """Set up an authenticator app: at the first sign-in of a role that needs one (the
    person is held, not yet signed in), or from My settings."""
    held = two_factor.held(request)
    user = request.user if request.user.is_authenticated else held
    if user is None:
        return redirect("login")
    if two_factor.is_set_up(user) and not two_factor.passed(request):
        # Replacing an app takes the code of the one there now: a password alone must not
        # set up a second phone. A held sign-in goes on to the code; a session without one
        # (someone who turned it on elsewhere meanwhile) to the settings.
        return redirect(
            "account_settings" if request.user.is_authenticated else "two_factor_verify"
        )
    device = two_factor.pending_device(user)
    if device is None or request.method == "GET" and "again" in request.GET:
        device = two_factor.start(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm(user, device, form.cleaned_data["code"], by=user)
        if codes is not None:
            if request.user.is_authenticated:
                two_factor.mark_passed(request.session, device)
                next_url = resolve_url("account_settings")
            else:
                next_url = _finish(request, user, device)
            request.session[CODES_SHOWN_ONCE] = {"codes": codes, "next": next_url}
            return redirect("two_factor_codes")
        form.add_error(
            "code",
            _("This code is not right. Type the six digits the app shows now, before they change."),
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_data_uri(device),
            "key": two_factor.key_for_typing(device),
            "held": held,
            "needed": user.needs_two_factor,
        },
    )


@never_cache
def two_factor_codes(request):
    """The recovery codes, shown once after they are made."""
    shown = request.session.pop(CODES_SHOWN_ONCE, None)
    if shown is None:
        return redirect("account_settings")
    return render(
        request,
        "registration/two_factor_codes.html",
        {"codes": shown["codes"], "next": safe_next(request, shown["next"])},
    )


@require_POST
def recovery_codes_renew(request):
    if not two_factor.is_set_up(request.user):
        return redirect("account_settings")
    codes = two_factor.recovery_codes_renew(request.user, by=request.user)
    request.session[CODES_SHOWN_ONCE] = {"codes": codes, "next": resolve_url("account_settings")}
    return redirect("two_factor_codes")


@login_not_required
@never_cache
def invitation(request, token):
    """The link in the invitation: its secret goes into the session, out of the address."""
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("invitation_accept")


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation_accept(request):
    """Choose a password from an invitation; a link used, replaced or out of date says so and
    what to do instead."""
    token = request.session.get(INVITATION_SESSION_KEY, "")
    found = services.invitation_for(token) if token else None
    if found is None or not found.is_usable() or not found.user.is_active:
        return render(
            request,
            "registration/invitation_unusable.html",
            {"invitation": found, "now_active": found is not None and found.user.is_active},
            status=410 if found is not None else 404,
        )
    # In the language the invitation was written in: the person's own.
    translation.activate(found.user.language)
    request.LANGUAGE_CODE = found.user.language
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError:
            return redirect("invitation_accept")
        del request.session[INVITATION_SESSION_KEY]
        messages.success(request, _("Your password is saved. Welcome to FFS Portal!"))
        return sign_in(
            request,
            user,
            backend="ffs_portal.backends.PortalBackend",
            next_url=settings.LOGIN_REDIRECT_URL,
        )
    return render(
        request, "registration/invitation_accept.html", {"form": form, "invitation": found}
    )


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_choose(request):
    """After a one-time password: the person chooses their own before anything else."""
    if not request.user.must_change_password:
        return redirect("home")
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_choose(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        request.session.pop(CHOOSE_OWN_SESSION_KEY, None)
        messages.success(request, _("Your password is saved."))
        return redirect("home")
    return render(request, "registration/password_choose.html", {"form": form})
