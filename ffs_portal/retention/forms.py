from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attendance.models import Incident


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnonymiseRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why now (e.g. the guardian asked on 2026-07-15)"),
        max_length=300,
        error_messages={"required": _("Say why the child's data is anonymised now.")},
    )


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_kind_display()} · {timezone.localtime(obj.occurred_at):%Y-%m-%d}"


class HoldForm(forms.Form):
    incident = IncidentChoiceField(
        label=_("Incident under review"),
        queryset=Incident.objects.none(),
        required=False,
        empty_label=_("None: keep the data for another reason"),
    )
    reason = forms.CharField(
        label=_("Why the data must be kept"),
        max_length=300,
        error_messages={"required": _("Say why the data must be kept.")},
    )
    until = forms.DateField(label=_("Keep until"), widget=DateInput())

    def __init__(self, *args, incidents=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["incident"])
        field.queryset = incidents if incidents is not None else Incident.objects.none()
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Put on hold"), css_class="btn-tap"))

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until < timezone.localdate():
            raise forms.ValidationError(_("The end date of a hold cannot be in the past."))
        return until
