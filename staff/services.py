"""Every write about staff: profiles, PINs, qualifications, the rota, duty clock-in and
clock-out, ratio rules and the minutes a site spent over its ratio."""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Site
from ffs_portal import audit
from ffs_portal.models import Role
from staff import pins, ratio
from staff.models import (
    DutyPeriod,
    Qualification,
    QualificationKind,
    RatioDay,
    RatioRule,
    Shift,
    StaffProfile,
)

PIN_ATTEMPTS = 5
PIN_LOCK = timedelta(minutes=15)


def profile_for(user) -> StaffProfile:
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_save(*, profile: StaffProfile, by, photo=None, **fields) -> StaffProfile:
    """A staff member's mobile, start date and photo (None leaves the photo as it is, False
    removes it)."""
    for field, value in fields.items():
        setattr(profile, field, value)
    if photo is False or photo:
        if profile.photo:
            storage, name = profile.photo.storage, profile.photo.name
            transaction.on_commit(lambda: storage.delete(name))
        profile.photo = photo or ""
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def pin_set(*, profile: StaffProfile, pin: str, by) -> None:
    if not pins.is_valid(pin):
        raise ValidationError({"pin": _("The PIN is 4 to 6 digits.")})
    profile.pin = pins.encode(pin)
    profile.pin_failures = 0
    profile.pin_locked_until = None
    profile.save(update_fields=["pin", "pin_failures", "pin_locked_until"])


def pin_unlock(*, user) -> None:
    """Let a person whose PIN was locked by wrong tries type it again at once."""
    StaffProfile.objects.filter(user=user).update(pin_failures=0, pin_locked_until=None)


def pin_check(profile: StaffProfile, pin: str) -> None:
    """Check a PIN typed on the tablet; too many wrong ones lock it for a while.

    Runs in its own transaction so that a failure is counted even though the clock-in that
    asked for it is refused."""
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        now = timezone.now()
        if not profile.user.is_active:
            raise_later = _("This person's account is switched off. Ask the site lead.")
        elif profile.pin_locked_until and profile.pin_locked_until > now:
            raise_later = _("Too many wrong PINs. Try again at %(time)s, or ask the site lead.") % {
                "time": timezone.localtime(profile.pin_locked_until).strftime("%H:%M")
            }
        elif not profile.takes_pin:
            raise_later = _("No PIN is set for you yet. Ask the site lead to set one.")
        elif pins.matches(pin, profile.pin):
            if profile.pin_failures or not pins.is_current(profile.pin):
                profile.pin_failures = 0
                profile.pin = pins.encode(pin)
                profile.save(update_fields=["pin_failures", "pin"])
            return
        else:
            profile.pin_failures += 1
            if profile.pin_failures >= PIN_ATTEMPTS:
                profile.pin_locked_until = now + PIN_LOCK
                profile.pin_failures = 0
                raise_later = _("Wrong PIN. The PIN is locked for 15 minutes; ask the site lead.")
            else:
                raise_later = _("Wrong PIN. %(left)s tries left.") % {
                    "left": PIN_ATTEMPTS - profile.pin_failures
                }
            profile.save(update_fields=["pin_failures", "pin_locked_until"])
    raise ValidationError(raise_later)


def child_protection_valid(profile: StaffProfile, day) -> bool:
    qualification = profile.qualifications.filter(kind=QualificationKind.CHILD_PROTECTION).first()
    return qualification is not None and qualification.is_valid_on(day)


def clock_in(
    *, site: Site, user, pin: str, by, override_lead=None, override_pin: str = ""
) -> DutyPeriod:
    """A staff member starts their duty at ``site``. Someone whose child-protection
    qualification has lapsed needs a site lead's override (the lead's own PIN)."""
    profile = profile_for(user)
    pin_check(profile, pin)
    override = None
    if not child_protection_valid(profile, timezone.localdate()):
        if override_lead is None:
            raise ValidationError(
                _(
                    "%(name)s's child-protection training has lapsed. A site lead must approve "
                    "the clock-in with their PIN."
                )
                % {"name": user}
            )
        if override_lead.role not in (Role.SITE_LEAD, Role.ADMIN) or (
            override_lead.role == Role.SITE_LEAD
            and not override_lead.sites.filter(pk=site.pk).exists()
        ):
            raise ValidationError(_("Only a site lead of this site can approve this."))
        pin_check(profile_for(override_lead), override_pin)
        override = override_lead
    with transaction.atomic():
        if (
            DutyPeriod.objects.select_for_update()
            .filter(user=user, clock_out_at__isnull=True)
            .exists()
        ):
            raise ValidationError(_("%(name)s is on duty already.") % {"name": user})
        try:
            with transaction.atomic():
                period = DutyPeriod.objects.create(
                    site=site,
                    user=user,
                    clock_in_at=timezone.now(),
                    override_by=override,
                    override_reason="child_protection_lapsed" if override else "",
                )
        except IntegrityError as error:  # two taps at once
            raise ValidationError(_("%(name)s is on duty already.") % {"name": user}) from error
        audit.record(
            actor=by,
            action="staff.clocked_in",
            factory=site.factory,
            user=user.username,
            override=override.username if override else "",
        )
        # The board's ratio changes. No row in attendance's change log (BoardChange): the
        # version it leaves unlogged sends every tablet the whole board, as it must.
        site.next_board_seq()
    return period


def clock_out(*, site: Site, user, pin: str, by) -> DutyPeriod:
    profile = profile_for(user)
    pin_check(profile, pin)
    with transaction.atomic():
        period = (
            DutyPeriod.objects.select_for_update()
            .filter(user=user, clock_out_at__isnull=True)
            .first()
        )
        if period is None:
            raise ValidationError(_("%(name)s is not on duty.") % {"name": user})
        now = timezone.now()
        if now <= period.clock_in_at:
            raise ValidationError(_("The clock-out cannot be before the clock-in."))
        period.clock_out_at = now
        period.save(update_fields=["clock_out_at"])
        audit.record(actor=by, action="staff.clocked_out", factory=site.factory, user=user.username)
        period.site.next_board_seq()
    return period


@transaction.atomic
def duty_end_for_leaver(*, user, by) -> None:
    """Close the duty a switched-off person left open, so the ratio stops counting them."""
    now = timezone.now()
    for period in DutyPeriod.objects.select_for_update().filter(
        user=user, clock_out_at__isnull=True, clock_in_at__lt=now
    ):
        period.clock_out_at = now
        period.save(update_fields=["clock_out_at"])
        audit.record(
            actor=by, action="staff.clocked_out", factory=period.site.factory, user=user.username
        )
        period.site.next_board_seq()


@transaction.atomic
def qualification_save(
    *, profile: StaffProfile, kind: str, obtained_on, expires_on=None, note="", by
) -> Qualification:
    if expires_on and expires_on <= obtained_on:
        raise ValidationError({"expires_on": _("The expiry date is before the date obtained.")})
    if obtained_on > timezone.localdate():
        raise ValidationError({"obtained_on": _("This date is in the future.")})
    qualification, _created = Qualification.objects.update_or_create(
        profile=profile,
        kind=kind,
        defaults={"obtained_on": obtained_on, "expires_on": expires_on, "note": note},
    )
    return qualification


@transaction.atomic
def shift_add(*, site: Site, user, day, starts, ends, by) -> Shift:
    """Plan a shift. The same person cannot be planned twice at the same time, anywhere."""
    if ends <= starts:
        raise ValidationError({"ends": _("The shift ends before it starts.")})
    # Lock the person's planned shifts of the day, so two planners cannot overlap them.
    same_day = list(Shift.objects.select_for_update().filter(user=user, day=day))
    for other in same_day:
        if starts < other.ends and other.starts < ends:
            raise ValidationError(
                _("%(name)s already works %(start)s–%(end)s that day (%(site)s).")
                % {
                    "name": user,
                    "start": other.starts.strftime("%H:%M"),
                    "end": other.ends.strftime("%H:%M"),
                    "site": other.site.name,
                }
            )
    shift = Shift.objects.create(site=site, user=user, day=day, starts=starts, ends=ends)
    audit.record(actor=by, action="staff.shift_planned", factory=site.factory, user=user.username)
    return shift


@transaction.atomic
def shift_remove(*, shift: Shift, by) -> None:
    audit.record(
        actor=by, action="staff.shift_removed", factory=shift.site.factory, user=shift.user.username
    )
    shift.delete()


@transaction.atomic
def ratio_rules_save(*, site: Site, bands: list[tuple[int, int, int]], by) -> list[RatioRule]:
    """Replace a site's ratio rules with ``bands`` of (from age, to age, children per adult)."""
    if not bands:
        raise ValidationError(_("Give at least one age band."))
    ordered = sorted(bands)
    for low, high, per_adult in ordered:
        if per_adult <= 0:
            raise ValidationError(_("A ratio of zero children per adult is not possible."))
        if low > high:
            raise ValidationError(
                _("In a band the first age is above the last (%(low)s–%(high)s).")
                % {"low": low, "high": high}
            )
    for (_low, high, _n), (next_low, _h, _m) in zip(ordered, ordered[1:], strict=False):
        if next_low <= high:
            raise ValidationError(_("Age bands overlap at age %(age)s.") % {"age": next_low})
    site.ratio_rules.all().delete()
    rules = RatioRule.objects.bulk_create(
        RatioRule(site=site, min_age=low, max_age=high, children_per_adult=n)
        for low, high, n in ordered
    )
    audit.record(actor=by, action="staff.ratio_rules_changed", factory=site.factory, site=site.name)
    return rules


@transaction.atomic
def ratio_day_record(*, site: Site, day, at=None) -> RatioDay:
    """Work out how many minutes the site was over its ratio on ``day`` (up to ``at`` for
    today) from check-ins, check-outs, clock-ins and clock-outs, and keep the figure."""
    from staff import selectors

    at = at or timezone.now()
    tz = timezone.get_current_timezone()
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    children, staff = selectors.day_intervals(site, day)
    minutes = ratio.minutes_over(
        children, staff, selectors.bands_for(site), until=min(at, end_of_day)
    )
    ratio_day, _created = RatioDay.objects.update_or_create(
        site=site, day=day, defaults={"minutes_over": minutes, "computed_at": timezone.now()}
    )
    return ratio_day
