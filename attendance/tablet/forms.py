import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from attendance.tablet.models import OfflineActKind
from attendance.tablet.services import OfflineActIn
from enrollment.models import HealthCheckMode


class TabletRegisterForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this tablet"),
        max_length=50,
        help_text=_("So the staff know which one it is, e.g. 小班 平板 or Door tablet."),
    )


class TabletSettingsForm(forms.Form):
    tablet_lock_minutes = forms.IntegerField(
        label=_("Lock the tablet after this many minutes without a touch"),
        min_value=1,
        max_value=60,
    )
    pickup_code_required = forms.BooleanField(
        label=_("Ask for the adult's pickup code at every hand-over"), required=False
    )
    not_arrived_minutes = forms.IntegerField(
        label=_(
            "Tell the parents when a child has not arrived this many minutes after the usual time"
        ),
        min_value=5,
        max_value=240,
        required=False,
    )
    pickup_signature = forms.BooleanField(
        label=_("Ask the collecting adult to sign on the tablet"), required=False
    )
    health_check = forms.ChoiceField(
        label=_("Morning health check at arrival (晨检)"),
        choices=HealthCheckMode.choices,
        required=False,
    )


class UnlockForm(forms.Form):
    person = forms.IntegerField(min_value=1)
    pin = forms.CharField(max_length=8, strip=True)


@dataclass
class Batch:
    sent_at: datetime
    acts: list[OfflineActIn]


def _moment(value) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or timezone.is_naive(moment):
        raise ValidationError(_("A time in the batch is not an ISO time with its zone."))
    return moment


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ValidationError(_("A key in the batch is not a UUID.")) from error


def parse_batch(body: bytes, *, limit: int) -> Batch:
    """A tablet's batch of offline acts, checked whole before any is applied: a malformed
    batch is refused and nothing of it is carried out."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(_("The batch is not JSON.")) from error
    if not isinstance(data, dict) or not isinstance(data.get("acts"), list):
        raise ValidationError(_("The batch has no list of acts."))
    if len(data["acts"]) > limit:
        raise ValidationError(_("Too many acts in one batch."))
    acts, keys = [], set()
    for item in data["acts"]:
        if not isinstance(item, dict) or item.get("kind") not in OfflineActKind.values:
            raise ValidationError(_("An act of the batch is not one the tablet makes."))
        key = _uuid(item.get("key"))
        if key in keys:
            raise ValidationError(_("The same act is twice in the batch."))
        keys.add(key)
        by = item.get("by")
        if not isinstance(by, int) or isinstance(by, bool):
            raise ValidationError(_("An act of the batch does not say who made it."))
        payload = item.get("data") or {}
        if not isinstance(payload, dict):
            raise ValidationError(_("An act of the batch is malformed."))
        needs_child = item["kind"] != OfflineActKind.ROLL_CALL_MARK
        acts.append(
            OfflineActIn(
                key=key,
                kind=item["kind"],
                child=_uuid(item.get("child")) if needs_child else None,
                by=by,
                device_time=_moment(item.get("at")),
                data=payload,
            )
        )
    return Batch(sent_at=_moment(data.get("sent_at")), acts=acts)
