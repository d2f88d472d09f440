from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from attendance.health.models import HIGHEST, LOWEST, sign_choices
from attendance.models import HealthCard
from ffs_portal.photos import shrink_photo


class TemperatureField(forms.CharField):
    """A temperature in °C, one decimal: 34–43 or nothing (a refusal says so plainly)."""

    def to_python(self, value):
        value = (super().to_python(value) or "").replace(",", ".").replace("℃", "").strip()
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation as error:
            raise ValidationError(
                _("Type the temperature in °C, e.g. 36.6."), code="invalid"
            ) from error
        if not number.is_finite() or not LOWEST <= number <= HIGHEST:
            raise ValidationError(
                _(
                    "%(value)s °C cannot be a child's temperature: it must be between 34 and "
                    "43 °C. Measure again."
                ),
                code="range",
                params={"value": value},
            )
        return number.quantize(Decimal("0.1"))


class HealthCheckForm(forms.Form):
    temperature = TemperatureField(label=_("Temperature (°C)"), required=False)
    signs = forms.MultipleChoiceField(
        label=_("What was seen"), required=False, widget=forms.CheckboxSelectMultiple
    )
    card = forms.ChoiceField(label=_("Card"), choices=HealthCard.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        signs = self.fields["signs"]
        assert isinstance(signs, forms.MultipleChoiceField)
        signs.choices = sign_choices()


class MedicineForm(forms.Form):
    medicine = forms.CharField(label=_("Medicine"), max_length=100)
    dose = forms.CharField(label=_("Dose"), max_length=100, help_text=_("e.g. 5 ml"))
    times = forms.CharField(
        label=_("Times of day"), max_length=60, help_text=_("e.g. 12:00, 15:00")
    )
    valid_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    signed_by = forms.CharField(label=_("Signed by (parent)"), max_length=50)
    box_photo = forms.ImageField(
        label=_("Photo of the box (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean_box_photo(self):
        photo = self.cleaned_data.get("box_photo")
        return shrink_photo(photo) if photo else None

    def clean_times(self) -> list[str]:
        return [part for part in self.cleaned_data["times"].replace("，", ",").split(",") if part]


class DoseForm(forms.Form):
    witness = forms.IntegerField(label=_("Witness"), min_value=1)
