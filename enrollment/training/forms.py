from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.training.models import Course, SessionFeedback, TrainingSession
from ffs_portal.lib.forms import field_of


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["course", "starts_at", "ends_at", "place", "trainer", "capacity"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "course", forms.ModelChoiceField).queryset = Course.objects.filter(
            is_active=True
        )
        field_of(self.fields, "starts_at", forms.DateTimeField).input_formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        field_of(self.fields, "ends_at", forms.DateTimeField).input_formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "course",
            Row(Column("starts_at"), Column("ends_at")),
            Row(Column("place"), Column("trainer"), Column("capacity")),
        )
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-lg"))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session ends before it starts."))
        if cleaned.get("capacity") == 0:
            self.add_error("capacity", _("A session needs at least one place."))
        return cleaned


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["name", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-lg"))


SCORES = [(str(n), str(n)) for n in range(1, 6)]


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = SessionFeedback
        fields = ["usefulness", "clarity", "will_apply", "comment"]
        widgets = {
            "usefulness": forms.RadioSelect(choices=SCORES),
            "clarity": forms.RadioSelect(choices=SCORES),
            "will_apply": forms.RadioSelect(choices=SCORES),
            "comment": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"comment": _("Anything else you want to tell us? (optional)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("usefulness", "clarity", "will_apply"):
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=SCORES,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "score"}),
            )
