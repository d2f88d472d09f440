"""Every write about the shared tablets: registering and revoking them, unlocking one with a
staff PIN. Each write is one transaction with its audit entry."""

from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from attendance.tablet.models import Tablet
from attendance.tablet.selectors import unlock_candidates
from enrollment.models import Site
from ffs_portal import audit
from ffs_portal.lib import clock, throttle
from ffs_portal.models import User
from staff import services as staff_services

# Wrong PINs typed on one tablet before it stops taking PINs for a while (a child playing
# with the pad must not lock every worker out; someone trying PINs must be slowed down).
DEVICE_PIN_FAILURES = 10
DEVICE_PIN_WINDOW = timedelta(minutes=10)
# How often a tablet's "last seen" is written, at most.
SEEN_EVERY = timedelta(minutes=1)


def _audit(tablet: Tablet, by, action: str, **details) -> None:
    audit.record(
        actor=by,
        action=action,
        factory=tablet.site.factory,
        site=tablet.site_id,
        tablet=tablet.name,
        **details,
    )


@transaction.atomic
def tablet_register(*, site: Site, name: str, by) -> Tablet:
    """Make a browser one of ``site``'s shared tablets; the view gives it the cookie."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the tablet a name, e.g. 小班 平板.")})
    if Tablet.objects.filter(site=site, name=name, revoked_at__isnull=True).exists():
        raise ValidationError(
            {"name": _("This space has a tablet called %(name)s already.") % {"name": name}}
        )
    tablet = Tablet.objects.create(site=site, name=name, registered_by=by)
    _audit(tablet, by, "tablet.registered")
    return tablet


@transaction.atomic
def tablet_revoke(*, tablet: Tablet, by) -> Tablet:
    """A lost or retired tablet: its cookie stops working at once (the next request of a
    session on it is signed out)."""
    tablet = Tablet.objects.select_for_update().get(pk=tablet.pk)
    if tablet.revoked_at is None:
        tablet.revoked_at = clock.now()
        tablet.revoked_by = by
        tablet.save(update_fields=["revoked_at", "revoked_by"])
        _audit(tablet, by, "tablet.revoked")
    return tablet


@transaction.atomic
def site_tablet_settings_save(
    *, site: Site, by, tablet_lock_minutes: int, pickup_code_required: bool, pickup_signature: bool
) -> Site:
    """The site lead's choices for the site's tablets."""
    site.tablet_lock_minutes = tablet_lock_minutes
    site.pickup_code_required = pickup_code_required
    site.pickup_signature = pickup_signature
    site.full_clean(validate_unique=False)
    site.save(update_fields=["tablet_lock_minutes", "pickup_code_required", "pickup_signature"])
    audit.record(
        actor=by,
        action="site.tablet_settings_changed",
        factory=site.factory,
        site=site.pk,
        lock_minutes=tablet_lock_minutes,
        pickup_code=pickup_code_required,
        signature=pickup_signature,
    )
    return site


def tablet_seen(tablet: Tablet) -> None:
    now = clock.now()
    if tablet.last_seen_at is None or now - tablet.last_seen_at >= SEEN_EVERY:
        Tablet.objects.filter(pk=tablet.pk).update(last_seen_at=now)
        tablet.last_seen_at = now


def _device_key(tablet: Tablet) -> str:
    return f"tablet-pin:{tablet.pk}"


def tablet_unlock(*, tablet: Tablet, person: str, pin: str) -> User:
    """The person who unlocks ``tablet`` with their PIN: someone on its site's staff, with
    the right PIN, neither they nor the tablet paused for too many wrong PINs. Every
    refusal is recorded (outside any transaction: a refusal must stay counted)."""
    if (cache.get(_device_key(tablet)) or 0) >= DEVICE_PIN_FAILURES:
        _audit(tablet, None, "tablet.pin_refused", person="", why="device_paused")
        raise ValidationError(
            _(
                "Too many wrong PINs on this tablet. It takes PINs again in a few minutes; "
                "a worker can sign in with their password meanwhile."
            )
        )
    user = unlock_candidates(tablet.site).filter(pk=person if str(person).isdigit() else 0).first()
    if user is None:
        # Someone not on this space's staff: the same answer as a wrong PIN.
        _wrong_pin(tablet, None, "not_staff")
        raise ValidationError(_("Wrong PIN."))
    try:
        staff_services.pin_check(staff_services.profile_for(user), pin)
    except ValidationError:
        _wrong_pin(tablet, user, "wrong_pin")
        raise
    _audit(tablet, user, "tablet.unlocked")
    return user


def _wrong_pin(tablet: Tablet, user, why: str) -> None:
    """Record a wrong PIN and count it against the tablet."""
    _audit(tablet, None, "tablet.pin_refused", person=user.username if user else "", why=why)
    throttle.allow(_device_key(tablet), limit=DEVICE_PIN_FAILURES, window=DEVICE_PIN_WINDOW)


def tablet_locked(*, tablet: Tablet, user, idle: bool) -> None:
    _audit(tablet, user, "tablet.locked", idle=idle)
