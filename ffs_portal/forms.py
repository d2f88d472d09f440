import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ffs_portal.models import User

TIME_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
]


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class AccountSettingsForm(forms.ModelForm):
    digest_hour = forms.TypedChoiceField(
        label=_("Send the daily e-mail at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(zone, zone) for zone in TIME_ZONES],
        help_text=_("The hour above is in this time zone."),
    )

    class Meta:
        model = User
        fields = ["language", "email", "digest_enabled", "digest_hour", "time_zone"]
        help_texts = {
            "digest_enabled": _("A summary of today's attendance for the sites you oversee."),
            "email": _("For the daily e-mail and for resetting your password."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-lg"))

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return zone
