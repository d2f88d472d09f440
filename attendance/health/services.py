"""Every write of the health check, the medicines and the outbreak watch. One transaction
each, the audit entry inside it."""

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import digests
from attendance import services as attendance_services
from attendance.health import selectors
from attendance.health.models import (
    DOSE_WINDOW,
    FEVER,
    HIGHEST,
    LOWEST,
    CheckKind,
    HealthCheck,
    MedicineAuthorisation,
    MedicineDose,
    OutbreakAlert,
    sign_label,
)
from attendance.models import HealthCard
from attendance.services import ActResult
from enrollment.models import Child, HealthCheckMode, Site
from ffs_portal import audit
from ffs_portal.lib import clock
from ffs_portal.lib.db import insert_or_nothing


def check_temperature(temperature: Decimal | None) -> None:
    if temperature is not None and not LOWEST <= temperature <= HIGHEST:
        raise ValidationError(
            _(
                "%(value)s °C cannot be a child's temperature: it must be between 34 and 43 °C. "
                "Measure again."
            )
            % {"value": temperature}
        )


def _check_card(temperature: Decimal | None, signs: list[str], card: str) -> None:
    check_temperature(temperature)
    if card not in HealthCard.values:
        raise ValidationError(_("Choose a card: green, yellow or red."))
    if card == HealthCard.GREEN and temperature is not None and temperature >= FEVER:
        raise ValidationError(
            _("%(value)s °C is a fever (37.3 °C and up): give a yellow or red card.")
            % {"value": temperature}
        )
    unknown = set(signs) - set(settings.HEALTH_CHECK_SIGNS)
    if unknown:
        raise ValidationError(_("Unknown sign: %(signs)s") % {"signs": ", ".join(sorted(unknown))})


def _check_consent(child: Child, temperature: Decimal | None, signs: list[str], note: str):
    """Details only with the guardian's consent to health data; the card (admitted or not)
    belongs to the care itself and is always recorded."""
    if (temperature is not None or signs or note.strip()) and not selectors.health_data_allowed(
        child.pk
    ):
        raise ValidationError(
            _(
                "The parents of %(child)s have not agreed to health data being recorded: give "
                "the card only, without temperature, signs or note. HR can record their consent."
            )
            % {"child": child.name}
        )


def _save(kind: str, *, site: Site, child: Child, at: datetime, **observed) -> HealthCheck:
    """The child's check of this kind today, written (a retried act writes it again)."""
    check, _created = HealthCheck.objects.update_or_create(
        child=child,
        day=timezone.localdate(at),
        kind=kind,
        defaults={"site": site, "at": at, **observed},
    )
    return check


@transaction.atomic
def record_arrival_check(
    *,
    site: Site,
    child: Child,
    by,
    card: str,
    temperature: Decimal | None = None,
    signs: list[str] | None = None,
    note: str = "",
    at: datetime | None = None,
    on_outbreak_watch: Callable[[int, date], object] | None = None,
) -> tuple[HealthCheck, ActResult]:
    """The check at the door: green and yellow check the child in with the card, red keeps the
    child out (not counted present). ``on_outbreak_watch(site_id, day)`` is queued after the
    commit when a sign was seen."""
    at = at or clock.now()
    day = timezone.localdate(at)
    signs = list(dict.fromkeys(signs or []))
    _check_card(temperature, signs, card)
    _check_consent(child, temperature, signs, note)
    if site.health_check == HealthCheckMode.OFF:
        raise ValidationError(_("This space does not do a health check at arrival."))
    if card == HealthCard.RED:
        result = attendance_services.refuse_admission(site=site, child=child, by=by, at=at)
    else:
        result = attendance_services.check_in(
            site=site, child=child, by=by, at=at, health_card=card
        )
    check = _save(
        CheckKind.ARRIVAL,
        site=site,
        child=child,
        by=by,
        at=at,
        card=card,
        temperature=temperature,
        signs=signs,
        note=note,
        injury_on_arrival="injury" in signs,
    )
    audit.record(
        actor=by,
        action="health.checked",
        child=child,
        site=site.pk,
        card=card,
        signs=signs,
        temperature=str(temperature) if temperature is not None else None,
    )
    if signs and on_outbreak_watch is not None:
        # Robust: with the broker down the check is saved and the board goes on.
        transaction.on_commit(partial(on_outbreak_watch, site.pk, day), robust=True)
    return check, result


@transaction.atomic
def record_noon_check(
    *,
    site: Site,
    child: Child,
    by,
    card: str,
    temperature: Decimal | None = None,
    signs: list[str] | None = None,
    note: str = "",
    at: datetime | None = None,
) -> HealthCheck:
    """The noon re-check (午检) of a child who had a yellow card at arrival. A red card at noon
    means the parents are called to collect the child; the check-out stays the usual one."""
    at = at or clock.now()
    day = timezone.localdate(at)
    signs = list(dict.fromkeys(signs or []))
    _check_card(temperature, signs, card)
    _check_consent(child, temperature, signs, note)
    arrival = HealthCheck.objects.filter(child=child, day=day, kind=CheckKind.ARRIVAL).first()
    if arrival is None or arrival.card != HealthCard.YELLOW:
        raise ValidationError(
            _("A noon re-check is for a child who had a yellow card this morning.")
        )
    check = _save(
        CheckKind.NOON,
        site=site,
        child=child,
        by=by,
        at=at,
        card=card,
        temperature=temperature,
        signs=signs,
        note=note,
    )
    audit.record(
        actor=by, action="health.rechecked", child=child, site=site.pk, card=card, signs=signs
    )
    return check


# Medicines ----------------------------------------------------------------------------------


def _parse_times(times: list[str]) -> list[str]:
    parsed = []
    for value in times:
        try:
            parsed.append(time.fromisoformat(value.strip()).strftime("%H:%M"))
        except ValueError as error:
            raise ValidationError(
                _("%(value)s is not a time of day (e.g. 12:00).") % {"value": value}
            ) from error
    if not parsed:
        raise ValidationError(_("Give at least one time of day for the medicine."))
    return sorted(set(parsed))


@transaction.atomic
def authorise_medicine(
    *,
    site: Site,
    child: Child,
    by,
    medicine: str,
    dose: str,
    times: list[str],
    valid_from: date,
    valid_to: date,
    signed_by: str,
    box_photo=None,
) -> MedicineAuthorisation:
    """Record the parent's signed authorisation for a medicine they handed in, with an
    optional photo of the box (already checked and shrunk)."""
    if valid_to < valid_from:
        raise ValidationError(_("The last day comes before the first day."))
    if not signed_by.strip():
        raise ValidationError(_("Write the name of the parent who signed."))
    authorisation = MedicineAuthorisation.objects.create(
        site=site,
        child=child,
        medicine=medicine,
        dose=dose,
        times=_parse_times(times),
        valid_from=valid_from,
        valid_to=valid_to,
        signed_by=signed_by.strip(),
        recorded_by=by,
    )
    if box_photo:
        authorisation.box_photo.save("box.jpg", box_photo, save=False)
        authorisation.save(update_fields=["box_photo"])
    audit.record(
        actor=by,
        action="health.medicine_authorised",
        child=child,
        site=site.pk,
        medicine=medicine,
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat(),
    )
    # The child's tile reminds of the doses due.
    attendance_services.advance_board(site)
    return authorisation


def due_time(authorisation: MedicineAuthorisation, at: datetime) -> str:
    """The time of the authorisation that ``at`` is a dose for, or ValidationError when ``at``
    is outside its days or not near any of its times."""
    local = timezone.localtime(at)
    if not authorisation.valid_from <= local.date() <= authorisation.valid_to:
        raise ValidationError(
            _(
                "The authorisation for %(medicine)s runs from %(start)s to %(end)s: no dose "
                "can be given on %(day)s."
            )
            % {
                "medicine": authorisation.medicine,
                "start": authorisation.valid_from.isoformat(),
                "end": authorisation.valid_to.isoformat(),
                "day": local.date().isoformat(),
            }
        )
    for value in authorisation.times:
        scheduled = datetime.combine(local.date(), time.fromisoformat(value), local.tzinfo)
        if abs(local - scheduled) <= DOSE_WINDOW:
            return value
    raise ValidationError(
        _("%(medicine)s is authorised at %(times)s only (an hour either side).")
        % {"medicine": authorisation.medicine, "times": ", ".join(authorisation.times)}
    )


@transaction.atomic
def give_dose(
    *, authorisation: MedicineAuthorisation, by, witness, at: datetime | None = None
) -> MedicineDose:
    """Record a dose given under ``authorisation``, with a witness other than the giver."""
    at = at or clock.now()
    due = due_time(authorisation, at)
    if witness is None or witness.pk == by.pk:
        raise ValidationError(_("Another member of staff must witness the dose."))
    local_day = timezone.localdate(at)
    if MedicineDose.objects.filter(
        authorisation=authorisation, due=due, given_at__date=local_day
    ).exists():
        raise ValidationError(
            _("The %(time)s dose of %(medicine)s was given already today.")
            % {"time": due, "medicine": authorisation.medicine}
        )
    dose = MedicineDose.objects.create(
        authorisation=authorisation,
        site=authorisation.site,
        given_at=at,
        due=due,
        given_by=by,
        witness=witness,
    )
    audit.record(
        actor=by,
        action="health.dose_given",
        child=authorisation.child,
        site=authorisation.site_id,
        medicine=authorisation.medicine,
        due=due,
        witness=witness.pk,
    )
    # The tile's reminder of this dose goes.
    attendance_services.advance_board(authorisation.site)
    return dose


# Outbreak watch ------------------------------------------------------------------------------


def watch_outbreak(*, site: Site, day: date) -> list[OutbreakAlert]:
    """Alert the site's leads and coordinators, once, of each sign seen in enough children of
    the site within the window ending on ``day``. Returns the alerts raised now."""
    raised = []
    for cluster in selectors.clusters(site=site, day=day):
        if selectors.alerted_within(site=site, sign=cluster.sign, day=day):
            continue
        alert = OutbreakAlert(
            site=site,
            sign=cluster.sign,
            day=day,
            children=cluster.children,
            rooms=", ".join(cluster.rooms),
        )
        if _raise(alert, cluster):
            raised.append(alert)
    return raised


@transaction.atomic
def _raise(alert: OutbreakAlert, cluster: selectors.Cluster) -> bool:
    """Insert the alert and send its e-mails in one transaction: one row per site, sign and day
    (two workers watching at once raise it once), and a failed send leaves no row behind, so
    the task's retry sends it."""
    if not insert_or_nothing(alert):
        return False
    site = alert.site
    day = alert.day
    digests.send_alert(
        site,
        "outbreak",
        {
            "site": site,
            "sign": sign_label(cluster.sign),
            "children": cluster.children,
            "days": settings.HEALTH_OUTBREAK_DAYS,
            "rooms": cluster.rooms,
            "day": day,
        },
    )
    audit.record(
        actor=None,
        action="health.outbreak_alert",
        factory=site.factory,
        site=site.pk,
        sign=alert.sign,
        children=alert.children,
    )
    return True
