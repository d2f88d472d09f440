from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Factory, Province, SiteKind
from ffs_portal.lib.forms import field_of
from ffs_portal.outcomes.models import (
    DUPLICATE_SPONSOR,
    FIRST_PROGRAM_YEAR,
    LAST_PROGRAM_YEAR,
    SURVEY_QUESTIONS,
    ParentSurvey,
    Sponsor,
    Support,
)

SCORES = [(str(n), str(n)) for n in range(1, 6)]


def _helper(*layout, submit=None):
    helper = FormHelper()
    helper.layout = Layout(*layout)
    helper.add_input(Submit("submit", submit or _("Save"), css_class="btn-lg"))
    return helper


class SponsorForm(forms.ModelForm):
    class Meta:
        model = Sponsor
        fields = ["name", "contact_name", "contact_email", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("name", Row(Column("contact_name"), Column("contact_email")), "note")

    def validate_unique(self):
        # clean_name explains a duplicate name in the portal's own words.
        pass

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Sponsor.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(DUPLICATE_SPONSOR)
        return name


class SponsorLoginForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    username = forms.CharField(
        label=_("User name"),
        max_length=30,
        validators=[ASCIIUsernameValidator()],
        help_text=_("Letters, digits and . - _ only, e.g. anna.lee"),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("First password"),
        min_length=8,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters. They can change it after signing in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(Column("name"), Column("username")),
            Row(Column("email"), Column("password")),
            submit=_("Add the login"),
        )


def year_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_PROGRAM_YEAR,
        max_value=LAST_PROGRAM_YEAR,
        initial=timezone.localdate().year,
        **kwargs,
    )


class SponsorshipForm(forms.Form):
    factory: "forms.ModelChoiceField[Factory]" = forms.ModelChoiceField(
        label=_("Factory"), queryset=None
    )
    program = forms.ChoiceField(label=_("Program"), choices=SiteKind.choices)
    year = year_field()

    def __init__(self, *args, factories, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "factory", forms.ModelChoiceField).queryset = factories
        self.helper = _helper(
            Row(Column("factory", css_class="col-md-6"), Column("program"), Column("year")),
            submit=_("Add the sponsorship"),
        )


class ProgramYearForm(forms.Form):
    """How a factory runs a program in a year (one row of the program-years table)."""

    factory = forms.IntegerField(widget=forms.HiddenInput)
    program = forms.ChoiceField(choices=SiteKind.choices, widget=forms.HiddenInput)
    year = year_field(widget=forms.HiddenInput)
    support = forms.ChoiceField(label=_("Support"), choices=Support.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class YearForm(forms.Form):
    year = year_field(required=False)
    program = forms.ChoiceField(
        label=_("Program"), choices=[("", _("All programs")), *SiteKind.choices], required=False
    )


def score_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "score"}),
        error_messages={"required": _("Choose an answer from 1 to 5.")},
    )


class SurveyForm(forms.Form):
    """The parents' survey: five questions from 1 (not at all) to 5 (very much), a comment."""

    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            field.name: field.verbose_name
            for field in ParentSurvey._meta.fields
            if field.name in SURVEY_QUESTIONS
        }
        fields = {name: score_field(labels[name]) for name in SURVEY_QUESTIONS}
        self.fields = {**fields, "comment": self.fields["comment"]}

    @property
    def scores(self) -> dict:
        return {name: self.cleaned_data[name] for name in SURVEY_QUESTIONS}


class DashboardFilterForm(forms.Form):
    """Filters of the program dashboard; a value that is not offered is ignored."""

    term = forms.ChoiceField(label=_("Term"), required=False)
    program = forms.ChoiceField(
        label=_("Program"), required=False, choices=[("", _("All programs")), *SiteKind.choices]
    )
    factory = forms.TypedChoiceField(
        label=_("Factory"), required=False, coerce=int, empty_value=None
    )
    province = forms.ChoiceField(label=_("Province"), required=False)

    def __init__(self, *args, seasons, factories, **kwargs):
        super().__init__(*args, **kwargs)
        self.factories = factories
        field_of(self.fields, "term", forms.ChoiceField).choices = [
            ("", _("Terms running today")),
            *((season.key, season.label) for season in seasons),
        ]
        field_of(self.fields, "factory", forms.ChoiceField).choices = [
            ("", _("All factories")),
            *((factory.pk, factory.name) for factory in factories),
        ]
        provinces = sorted({factory.province for factory in factories})
        labels = dict(Province.choices)
        field_of(self.fields, "province", forms.ChoiceField).choices = [
            ("", _("All provinces")),
            *((code, labels.get(code, code)) for code in provinces),
        ]

    def values(self) -> dict:
        """The valid values (an invalid field counts as not chosen)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
