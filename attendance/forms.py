from datetime import datetime, time
from typing import overload

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attendance.models import AbsenceReason, IncidentKind, InformedHow, RefusalReason, RollCallKind
from ffs_portal.lib import clock


@overload
def today_at(value: time) -> datetime: ...
@overload
def today_at(value: None) -> None: ...
def today_at(value: time | None) -> datetime | None:
    """A time of day entered on the tablet, as an aware datetime today."""
    if value is None:
        return None
    return timezone.make_aware(datetime.combine(clock.today(), value))


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"class": "form-control form-control-lg", **(attrs or {})}, format="%H:%M"
        )


class AbsenceForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=AbsenceReason.carers_choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RefuseForm(forms.Form):
    reason = forms.ChoiceField(choices=RefusalReason.choices, initial=RefusalReason.NOT_LISTED)
    adult = forms.IntegerField(required=False)
    name = forms.CharField(label=_("Name of the person"), max_length=50, required=False)
    relation = forms.CharField(label=_("Says they are"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IncidentKind.choices, widget=forms.RadioSelect
    )
    occurred = forms.TimeField(label=_("When (today)"), widget=TimeInput())
    description = forms.CharField(
        label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    action_taken = forms.CharField(
        label=_("First aid or action taken"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    informed = forms.TimeField(label=_("Parent informed at"), required=False, widget=TimeInput())
    informed_by = forms.CharField(label=_("Informed by"), max_length=50, required=False)
    informed_how = forms.ChoiceField(
        label=_("How"),
        choices=[("", "—"), *InformedHow.choices],
        required=False,
    )


class InformedForm(forms.Form):
    informed = forms.TimeField(label=_("Parent informed at"), widget=TimeInput())
    informed_by = forms.CharField(label=_("Informed by"), max_length=50)
    informed_how = forms.ChoiceField(label=_("How"), choices=InformedHow.choices)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Site lead's note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RollCallStartForm(forms.Form):
    kind = forms.ChoiceField(choices=RollCallKind.choices)


class RollCallEndForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)
