from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.forms import DateInput
from ffs_portal.lib.forms import field_of
from ffs_portal.models import User
from ffs_portal.photos import shrink_photo
from ffs_portal.validators import validate_mobile
from staff.models import QualificationKind


def _submit(helper, label=None):
    helper.add_input(Submit("submit", label or _("Save"), css_class="btn-lg"))
    return helper


class ProfileForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile"), max_length=11, required=False, validators=[validate_mobile]
    )
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput())
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("Shown on the tablet's lock screen, so each worker finds their own face."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _submit(FormHelper())
        self.helper.form_tag = False
        self.helper.inputs = []
        self.helper.layout = Layout(Row(Column("mobile"), Column("started_on")), "photo")

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):
            return shrink_photo(photo)
        return photo


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("New PIN (4–6 digits)"),
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _submit(FormHelper(), _("Set the PIN"))


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Qualification"), choices=QualificationKind.choices)
    obtained_on = forms.DateField(label=_("Obtained on"), widget=DateInput())
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _submit(FormHelper(), _("Save the qualification"))
        self.helper.layout = Layout(
            Row(Column("kind"), Column("obtained_on"), Column("expires_on")), "note"
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        obtained, expires = cleaned.get("obtained_on"), cleaned.get("expires_on")
        if obtained and expires and expires <= obtained:
            self.add_error("expires_on", _("The expiry date is before the date obtained."))
        return cleaned


class ShiftForm(forms.Form):
    user: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(label=_("Who"), queryset=None)
    day = forms.DateField(label=_("Day"), widget=DateInput())
    starts = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "user", forms.ModelChoiceField).queryset = staff
        self.helper = _submit(FormHelper(), _("Add to the rota"))
        self.helper.layout = Layout(
            Row(Column("user"), Column("day"), Column("starts"), Column("ends"))
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The shift ends before it starts."))
        return cleaned


class RatioRulesForm(forms.Form):
    """Up to four age bands: from age, to age, children per adult."""

    BANDS = 4

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        rules = list(rules)
        self.rows = []
        for n in range(self.BANDS):
            rule = rules[n] if n < len(rules) else None
            for name, label, value in (
                ("min", _("From age"), rule.min_age if rule else None),
                ("max", _("To age"), rule.max_age if rule else None),
                ("per", _("Children per adult"), rule.children_per_adult if rule else None),
            ):
                self.fields[f"{name}_{n}"] = forms.IntegerField(
                    label=label,
                    required=False,
                    min_value=0,
                    max_value=99,
                    initial=value,
                    widget=forms.NumberInput(attrs={"class": "form-control"}),
                )
            self.rows.append((self[f"min_{n}"], self[f"max_{n}"], self[f"per_{n}"]))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        self.bands: list[tuple[int, int, int]] = []
        for n in range(self.BANDS):
            values = [cleaned.get(f"{name}_{n}") for name in ("min", "max", "per")]
            if all(v is None for v in values):
                continue
            low, high, per = values
            if low is None or high is None or per is None:
                raise forms.ValidationError(_("Fill in the three numbers of each band you use."))
            if per == 0:
                self.add_error(f"per_{n}", _("A ratio of zero children per adult is not possible."))
            self.bands.append((low, high, per))
        if not self.bands:
            raise forms.ValidationError(_("Give at least one age band."))
        return cleaned
