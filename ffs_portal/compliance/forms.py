from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.forms import DateInput
from ffs_portal.compliance.models import DataIncident
from ffs_portal.compliance.services import DATA_INCIDENT_FIELDS
from ffs_portal.lib.forms import field_of

FIRST_PACK_YEAR = 2020


class DataIncidentForm(forms.ModelForm):
    class Meta:
        model = DataIncident
        fields = list(DATA_INCIDENT_FIELDS)
        widgets = {
            "found_on": DateInput(),
            "authority_told_on": DateInput(),
            "families_told_on": DateInput(),
            "closed_on": DateInput(),
            "data_exposed": forms.Textarea(attrs={"rows": 3}),
            "actions_taken": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "factory": _("Leave empty when the breach touched several factories."),
            "data_exposed": _("Which records and fields: e.g. names and mobiles of the parents."),
            "authority": _("E.g. the city's cyberspace administration office (网信办)."),
            "families_told_how": _("E.g. a phone call from HR, a letter, a meeting."),
        }

    def __init__(self, *args, factories, whole: bool, **kwargs):
        """``whole``: the user oversees every factory, and may record a breach of several."""
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("found_on", timezone.localdate())
        factory = field_of(self.fields, "factory", forms.ModelChoiceField)
        factory.queryset = factories
        if whole:
            factory.required = False
            factory.empty_label = _("Several factories")
        else:
            factory.required = True
            factory.help_text = ""
            factory.empty_label = None if factories.count() == 1 else _("Choose a factory")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                _("The breach"),
                Row(Column("found_on"), Column("factory")),
                "summary",
                "data_exposed",
                Row(Column("children_affected"), Column("families_affected")),
            ),
            Fieldset(
                _("Who was told"),
                Row(Column("authority"), Column("authority_told_on")),
                Row(Column("families_told_on"), Column("families_told_how")),
            ),
            Fieldset(_("Follow-up"), "actions_taken", "closed_on"),
        )
        self.helper.add_input(Submit("save", _("Save"), css_class="btn-lg"))

    def clean_found_on(self):
        found = self.cleaned_data["found_on"]
        if found > timezone.localdate():
            raise forms.ValidationError(_("The day found cannot be in the future."))
        return found


class PackForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Year"), coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        field_of(self.fields, "year", forms.TypedChoiceField).choices = [
            (year, str(year)) for year in range(this_year, FIRST_PACK_YEAR - 1, -1)
        ]
