from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.forms import DateInput
from ffs_portal.notices.services import ANNOUNCEMENT_MAX_LENGTH
from ffs_portal.outcomes.forms import SurveyForm
from ffs_portal.outcomes.models import SURVEY_QUESTIONS


class ChildChoiceForm(forms.Form):
    """A form about one of the family's children, named by the child's key."""

    child = forms.UUIDField(widget=forms.HiddenInput)


class AbsenceReportForm(ChildChoiceForm):
    day = forms.DateField(label=_("Which day"), widget=DateInput())
    note = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False)


class DelegateForm(ChildChoiceForm):
    name = forms.CharField(label=_("Name of the person collecting"), max_length=50)
    relation = forms.CharField(label=_("Who they are to the child"), max_length=30)
    mobile = forms.CharField(label=_("Their mobile"), max_length=11)


class IncidentAcknowledgementForm(forms.Form):
    incident = forms.UUIDField(widget=forms.HiddenInput)


class ParentSurveyForm(SurveyForm):
    """The parents' survey on their page: the questions, and which term it is about."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"] = forms.IntegerField(widget=forms.HiddenInput)

    @staticmethod
    def scores_of(data: dict) -> dict:
        return {name: data[name] for name in SURVEY_QUESTIONS}


class AnnouncementForm(forms.Form):
    text = forms.CharField(
        label=_("Announcement to all families"),
        max_length=ANNOUNCEMENT_MAX_LENGTH,
        help_text=_("Short and plain, e.g. a closure for a typhoon. No child's details."),
    )
