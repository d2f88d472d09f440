from django import forms
from django.utils.translation import gettext_lazy as _


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
    pickup_signature = forms.BooleanField(
        label=_("Ask the collecting adult to sign on the tablet"), required=False
    )


class UnlockForm(forms.Form):
    person = forms.IntegerField(min_value=1)
    pin = forms.CharField(max_length=8, strip=True)
