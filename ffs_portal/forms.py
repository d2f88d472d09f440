import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import authenticate
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

    # Whoever holds a signed-in session could otherwise point the account at their own
    # address and take it over with a password reset.
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only when you change the e-mail address."),
    )

    class Meta:
        model = User
        fields = ["language", "email", "digest_enabled", "digest_hour", "time_zone"]
        help_texts = {
            "digest_enabled": _("A summary of today's attendance for the sites you oversee."),
            "email": _("For the daily e-mail and for resetting your password."),
        }

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.order_fields(["language", "email", "current_password"])
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-lg"))

    def settings(self) -> dict:
        """The settings to save, without the password that confirmed them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "email" in self.changed_data and "email" in cleaned:
            password = cleaned.get("current_password")
            if not password:
                self.add_error(
                    "current_password",
                    _("Type your current password to change the e-mail address."),
                )
            # Through authenticate(), so that wrong passwords here count towards the
            # sign-in lock-out like wrong passwords on the sign-in page.
            elif not self._authenticated(password):
                self.add_error(
                    "current_password",
                    _(
                        "This is not your current password. Type it again to change the "
                        "e-mail address, or leave the address as it was."
                    ),
                )
        return cleaned

    def _authenticated(self, password: str) -> bool:
        user = authenticate(self.request, username=self.instance.get_username(), password=password)
        return user is not None and user.pk == self.instance.pk

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return zone


class CodeForm(forms.Form):
    """The second step of signing in: six digits from the app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "class": "form-control-lg font-monospace",
            }
        ),
    )
