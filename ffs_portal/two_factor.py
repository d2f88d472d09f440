"""Two-factor sign-in with django-otp: a code from an authenticator app (TOTP), or one of ten
one-time recovery codes.

Coordinators and administrators must use it (they see every child of the factories they
oversee); anyone else may. The sign-in is in two steps: the password is checked and the
person is *held* in the session, not signed in, until the second step takes their code
(or, for a first sign-in of a coordinator, the setting up of the app). A session that has
passed the second step carries ``SESSION_KEY``; AccountStateMiddleware ends any session of
a two-factor role without it.
"""

import time

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ffs_portal import audit

SESSION_KEY = "two_factor_passed"
PENDING_KEY = "two_factor_pending"
# Wrong codes typed for one held sign-in before it is dropped and the password is asked again.
PENDING_TRIES = 5
RECOVERY_CODES = 10
APP_DEVICE = "authenticator"
RECOVERY_DEVICE = "recovery codes"


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_set_up(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def asks_code(user) -> bool:
    """Whether signing in as ``user`` takes a second step: always for a two-factor role,
    and for anyone who set up an authenticator app of their own accord."""
    return user.needs_two_factor or is_set_up(user)


def passed(request) -> bool:
    return SESSION_KEY in request.session


def mark_passed(session, device=None) -> None:
    session[SESSION_KEY] = device.persistent_id if device is not None else "enrolled"


# The held sign-in -------------------------------------------------------------------------


def hold(request, user, *, backend: str, next_url: str) -> None:
    """Remember that ``user`` typed the right password, for the second step. The session
    key changes here, as it will again at the sign-in itself."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "at": time.time(),
        "next": next_url,
        "tries": 0,
    }


def held(request):
    """The held user, or None when nothing is held or it waited too long."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if time.time() - pending["at"] > settings.TWO_FACTOR_PENDING_SECONDS:
        drop(request)
        return None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first()


def held_next(request) -> str:
    return request.session.get(PENDING_KEY, {}).get("next", "")


def held_backend(request) -> str:
    return request.session.get(PENDING_KEY, {}).get("backend", "ffs_portal.backends.PortalBackend")


def wrong_code(request) -> int:
    """Count a wrong code against the held sign-in; returns the tries left (0: dropped)."""
    pending = request.session[PENDING_KEY]
    pending["tries"] += 1
    request.session.modified = True
    left = PENDING_TRIES - pending["tries"]
    if left <= 0:
        drop(request)
    return left


def drop(request) -> None:
    request.session.pop(PENDING_KEY, None)


# Devices ----------------------------------------------------------------------------------


def verify(user, code: str):
    """The device that accepts ``code`` (the app's code or an unused recovery code), or None.
    A recovery code is spent by its use; each device pauses longer after each wrong code."""
    code = "".join(code.split())
    if not code or len(code) > 16:
        return None
    return match_token(user, code)


def start(user) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user``: it counts only once a code from it has
    been typed (``confirm``). An earlier unconfirmed one is forgotten."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI, made by the portal itself."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def key_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for an app that cannot scan."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def confirm(user, device: TOTPDevice, code: str, *, by) -> list[str] | None:
    """Confirm ``device`` with a code from it: it replaces any earlier authenticator, and a
    fresh set of recovery codes is made. Returns the recovery codes, or None for a wrong code."""
    code = "".join(code.split())
    if not (code.isdigit() and device.verify_token(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record(actor=by, action="account.two_factor_set_up", about=user)
    return codes


@transaction.atomic
def recovery_codes_renew(user, *, by) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    audit.record(actor=by, action="account.recovery_codes_renewed", about=user)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def forget_devices(user) -> None:
    """Remove the authenticator and the recovery codes (a lost phone). The caller records it
    and ends the person's sessions."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def is_recovery(device) -> bool:
    return isinstance(device, StaticDevice)
