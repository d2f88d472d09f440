from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import (
    CHOOSABLE_MESSAGES,
    CONSENT_TEXT_VERSION,
    MUTED_BY_DEFAULT,
    Adult,
    Child,
    EnrollmentStatus,
    Factory,
    Relation,
    Room,
    Site,
    Term,
    Weekday,
    Worker,
    normalise_employee_no,
)
from ffs_portal.fields import MobileField
from ffs_portal.lib.forms import field_of
from ffs_portal.photos import shrink_photo

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CHOOSE = _("Choose…")
BLANK_DASHES = "---------"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _helper(*layout, submit=None):
    helper = FormHelper()
    helper.layout = Layout(*layout)
    helper.add_input(Submit("submit", submit or _("Save"), css_class="btn-lg"))
    return helper


def _row(*fields):
    return Row(*[Column(field, css_class="col-md") for field in fields])


class PlainWords:
    """What every form of the family pages does with its fields: a select's empty choice says
    "Choose…" instead of dashes; a radio list has no empty choice to be left ticked; a text
    too long is said in a sentence by the server rather than cut by the browser."""

    fields: dict[str, forms.Field]

    def _plain_words(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label == BLANK_DASHES:
                    field.empty_label = CHOOSE
            elif isinstance(field, forms.ChoiceField):
                choices = list(cast(Iterable[tuple[Any, Any]], field.choices))
                if isinstance(field.widget, forms.RadioSelect):
                    field.choices = [(v, label) for v, label in choices if v != ""]
                else:
                    field.choices = [
                        (v, CHOOSE if v == "" and label == BLANK_DASHES else label)
                        for v, label in choices
                    ]
            if isinstance(field, forms.CharField) and field.max_length:
                field.widget.attrs.pop("maxlength", None)
                field.error_messages["max_length"] = _(
                    "This is %(show_value)d characters long; at most %(limit_value)d fit. "
                    "Shorten it."
                )


class WorkerForm(PlainWords, forms.ModelForm):
    mobile = MobileField(label=_("Mobile"))

    class Meta:
        model = Worker
        fields = [
            "employee_no",
            "name",
            "mobile",
            "department",
            "shift",
            "hukou_province",
            "hire_date",
            "leave_date",
        ]
        widgets = {"hire_date": DateInput(), "leave_date": DateInput()}

    def clean_employee_no(self):
        number = normalise_employee_no(self.cleaned_data["employee_no"])
        if not number:
            raise forms.ValidationError(_("Type the employee number."))
        return number

    def __init__(self, *args, submit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        self.fields["hire_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.helper = _helper(
            _row("employee_no", "name", "mobile"),
            _row("department", "shift", "hukou_province"),
            _row("hire_date", "leave_date"),
            submit=submit,
        )


class PhotoMixin:
    """A photo upload is checked and shrunk before it reaches the service."""

    cleaned_data: dict[str, Any]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):
            return shrink_photo(photo)
        return photo


class ChildForm(PlainWords, PhotoMixin, forms.ModelForm):
    emergency_contact_mobile = MobileField(label=_("Emergency contact mobile"), required=False)

    class Meta:
        model = Child
        fields = [
            "name",
            "sex",
            "date_of_birth",
            "hukou_province",
            "lives_with",
            "school",
            "grade",
            "arrival_date",
            "departure_date",
            "allergies",
            "medical_notes",
            "emergency_contact_name",
            "emergency_contact_mobile",
            "photo",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "arrival_date": DateInput(),
            "departure_date": DateInput(),
            "sex": forms.RadioSelect,
            "medical_notes": forms.Textarea(attrs={"rows": 2}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
        }
        help_texts = {
            "allergies": _("Shown in red on the tablet. Leave empty if none."),
            "medical_notes": _("Seen by HR and the site lead, not printed on cards."),
        }

    def __init__(self, *args, photos_allowed=False, summer=True, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        self.photos_allowed = photos_allowed
        if not photos_allowed:
            del self.fields["photo"]
        # The summer visit means nothing at a factory whose spaces are all after-school.
        if not summer:
            del self.fields["arrival_date"]
            del self.fields["departure_date"]
        self.helper = _helper(
            _row("name", "sex", "date_of_birth"),
            _row("hukou_province", "lives_with"),
            _row("school", "grade"),
            *([_row("arrival_date", "departure_date")] if summer else []),
            "allergies",
            "medical_notes",
            _row("emergency_contact_name", "emergency_contact_mobile"),
            *(["photo"] if photos_allowed else []),
        )
        self.helper.form_enctype = "multipart/form-data"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the child's name."))
        return name

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        arrival, departure = cleaned.get("arrival_date"), cleaned.get("departure_date")
        if arrival and departure and departure < arrival:
            self.add_error("departure_date", _("The child leaves before arriving."))
        return cleaned


class AdultForm(PlainWords, PhotoMixin, forms.ModelForm):
    mobile = MobileField(label=_("Mobile"), required=False)
    may_collect = forms.ModelMultipleChoiceField(
        label=_("May collect"),
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    must_not_collect = forms.ModelMultipleChoiceField(
        label=_("Must NOT collect"),
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For an adult the family asks us to refuse."),
    )

    class Meta:
        model = Adult
        fields = ["name", "relation", "mobile", "is_guardian", "photo"]
        widgets = {
            "photo": forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})
        }
        help_texts = {
            "photo": _(
                "Take the adult's photo: the carer at the door compares it with who comes to "
                "collect the child."
            )
        }

    def __init__(self, *args, family, children=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        children = family.children.order_by("date_of_birth") if children is None else children
        field_of(self.fields, "may_collect", forms.ModelChoiceField).queryset = children
        field_of(self.fields, "must_not_collect", forms.ModelChoiceField).queryset = children
        if self.instance.pk:
            rules = list(self.instance.pickups.all())
            self.initial["may_collect"] = [r.child_id for r in rules if r.allowed]
            self.initial["must_not_collect"] = [r.child_id for r in rules if not r.allowed]
        self.helper = _helper(
            _row("name", "relation", "mobile"),
            "is_guardian",
            _row("may_collect", "must_not_collect"),
            "photo",
        )
        self.helper.form_enctype = "multipart/form-data"

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        both = set(cleaned.get("may_collect") or []) & set(cleaned.get("must_not_collect") or [])
        if both:
            names = "、".join(child.name for child in both)
            raise forms.ValidationError(
                _("An adult cannot be on both lists for the same child: %(names)s.")
                % {"names": names}
            )
        return cleaned


class PickupForm(PlainWords, forms.Form):
    allowed = forms.TypedChoiceField(
        label=_("May this adult collect the child?"),
        choices=[("1", _("Yes, may collect")), ("0", _("No, must not collect"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DateInput())
    valid_to = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("allowed", _row("valid_from", "valid_to"), "note")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date is before the start date."))
        return cleaned


class ConsentForm(PlainWords, forms.Form):
    children = forms.ModelMultipleChoiceField(
        label=_("For these children"),
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one child.")},
    )
    given_by = forms.CharField(label=_("Signed by"), max_length=50)
    # Not preset: who signed is read off the paper, not guessed.
    given_by_relation = forms.ChoiceField(
        label=_("Relation to the children"), choices=[("", CHOOSE), *Relation.choices]
    )
    given_on = forms.DateField(label=_("Signed on"), widget=DateInput())
    covers_care = forms.BooleanField(
        label=_("Care in the space (required)"), required=False, initial=True
    )
    covers_photos = forms.BooleanField(label=_("Photos of the child"), required=False)
    covers_reporting = forms.BooleanField(
        label=_("Anonymous figures in reports to sponsors"), required=False
    )
    covers_messages = forms.BooleanField(
        label=_("Messages to the parents about the child's day (SMS or WeCom)"), required=False
    )
    covers_health = forms.BooleanField(
        label=_("Health data at the morning check (temperature, what was seen)"),
        required=False,
    )
    wanted_messages = forms.MultipleChoiceField(
        label=_("Which messages the family wants"),
        choices=CHOOSABLE_MESSAGES,
        required=False,
        initial=[value for value, _label in CHOOSABLE_MESSAGES if value not in MUTED_BY_DEFAULT],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A refused pickup, a child not arrived or not collected and a pickup code always "
            "go out."
        ),
    )
    quiet_from = forms.TimeField(
        label=_("No messages from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    quiet_until = forms.TimeField(
        label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        field_of(self.fields, "children", forms.ModelChoiceField).queryset = children
        self.initial.setdefault("given_on", timezone.localdate())
        self.fields["given_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.helper = _helper(
            "children",
            _row("given_by", "given_by_relation", "given_on"),
            "covers_care",
            "covers_photos",
            "covers_reporting",
            "covers_health",
            "covers_messages",
            "wanted_messages",
            _row("quiet_from", "quiet_until"),
            submit=_("Record the consent"),
        )

    def clean_given_by(self):
        value = self.cleaned_data["given_by"].strip()
        if not value:
            raise forms.ValidationError(_("Enter who signed the consent form."))
        return value

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if (cleaned.get("quiet_from") is None) != (cleaned.get("quiet_until") is None):
            self.add_error("quiet_until", _("Give both times of the quiet hours, or neither."))
        return cleaned

    def service_arguments(self) -> dict:
        arguments = dict(self.cleaned_data)
        wanted = arguments.pop("wanted_messages")
        arguments["muted_messages"] = [v for v, _label in CHOOSABLE_MESSAGES if v not in wanted]
        return {**arguments, "text_version": CONSENT_TEXT_VERSION}


class Enrolled(TypedDict):
    enrolled: int


class TermWithPlacesField(forms.ModelChoiceField):
    """Terms named with their site and how many places are taken (``enrolled`` annotated)."""

    def label_from_instance(self, obj: "WithAnnotations[Term, Enrolled]") -> str:
        return _("%(site)s · %(term)s (%(enrolled)s of %(capacity)s places taken)") % {
            "site": obj.site.name,
            "term": obj.name,
            "enrolled": obj.enrolled,
            "capacity": obj.site.capacity,
        }


class TermAtSiteField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Term) -> str:
        return f"{obj.site.name} · {obj.name}"


class EnrollForm(PlainWords, forms.Form):
    """Several children of a family into one term, in one step."""

    term = TermWithPlacesField(
        label=_("Term"),
        queryset=Term.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the term.")},
    )
    children = forms.ModelMultipleChoiceField(
        label=_("Enrol these children"),
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one child.")},
    )

    def __init__(self, *args, terms, children, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "term", forms.ModelChoiceField).queryset = terms
        field_of(self.fields, "children", forms.ModelChoiceField).queryset = children
        # One term open: that is the choice; several: the person chooses, nothing preset.
        shown = list(terms)
        if len(shown) == 1:
            self.initial.setdefault("term", shown[0].pk)
        self.helper = _helper("term", "children", submit=_("Enrol"))


class TermEnrollForm(forms.Form):
    """Children of the factory into this term, from the term's page."""

    children = forms.ModelMultipleChoiceField(
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one child.")},
    )

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "children", forms.ModelChoiceField).queryset = children


class QuickChildForm(PlainWords, forms.ModelForm):
    """A child in the family's registration: what the first day needs; the rest later."""

    class Meta:
        model = Child
        fields = ["name", "sex", "date_of_birth", "allergies"]
        widgets = {
            "date_of_birth": DateInput(),
            "sex": forms.RadioSelect,
        }
        help_texts = {"allergies": _("Leave empty if none.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        # Drawn as a table row: each input says what it is to a screen reader.
        for name, field in self.fields.items():
            css = "form-check-input" if name == "sex" else "form-control"
            field.widget.attrs.update({"class": css, "aria-label": str(field.label)})

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class ChildRowsBase(forms.BaseFormSet):
    def clean(self):
        super().clean()
        names = [
            (f.cleaned_data.get("name"), f.cleaned_data.get("date_of_birth"))
            for f in self.forms
            if f.cleaned_data and f.cleaned_data.get("name")
        ]
        if len(names) != len(set(names)):
            raise forms.ValidationError(_("The same child is written twice. Remove one row."))

    def children(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data]


ChildRows = forms.formset_factory(
    QuickChildForm, formset=ChildRowsBase, extra=3, max_num=8, absolute_max=8
)


class AdultRowForm(AdultForm):
    class Meta(AdultForm.Meta):
        fields = ["name", "relation", "mobile", "is_guardian"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            _row("name", "relation", "mobile"),
            "is_guardian",
            _row("may_collect", "must_not_collect"),
        )


class AdultRowsBase(forms.BaseFormSet):
    def adults(self) -> list[dict]:
        return [dict(f.cleaned_data) for f in self.forms if f.cleaned_data]


AdultRows = forms.formset_factory(
    AdultRowForm, formset=AdultRowsBase, extra=2, max_num=6, absolute_max=6
)


class FamilyFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.SearchInput(
            attrs={
                "placeholder": _("Name, employee no., mobile or pinyin initials"),
                "class": "form-control",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("Enrolment"),
        required=False,
        choices=[("", _("Any enrolment")), *EnrollmentStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    term = TermAtSiteField(
        label=_("Term"),
        required=False,
        queryset=Term.objects.none(),
        empty_label=_("Any term"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    consent_missing = forms.BooleanField(
        label=_("Consent missing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "term", forms.ModelChoiceField).queryset = terms


class FactoryForm(PlainWords, forms.ModelForm):
    class Meta:
        model = Factory
        fields = ["name", "code", "city", "province"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_words()
        self.helper = _helper(_row("name", "code"), _row("city", "province"))


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "kind", "capacity", "min_age", "max_age", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            _row("name", "kind"), _row("capacity", "min_age", "max_age"), "address"
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("The oldest age is below the youngest."))
        if cleaned.get("capacity") == 0:
            self.add_error("capacity", _("A site needs at least one place."))
        return cleaned


class TermForm(forms.ModelForm):
    closed_days = forms.CharField(
        label=_("Closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-07-20\n2026-08-01"}),
        help_text=_("One date per line (YYYY-MM-DD), e.g. public holidays or factory shutdowns."),
    )

    class Meta:
        model = Term
        fields = ["name", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["closed_days"] = "\n".join(
                f"{day.date:%Y-%m-%d}" for day in self.instance.closed_days.all()
            )
        self.helper = _helper(_row("name", "starts_on", "ends_on"), "closed_days")

    def clean_closed_days(self):
        days = []
        for line in self.cleaned_data["closed_days"].splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                days.append(forms.DateField().clean(line))
            except forms.ValidationError as error:
                raise forms.ValidationError(
                    _("“%(line)s” is not a date. Write one date per line, like 2026-07-20.")
                    % {"line": line}
                ) from error
        return sorted(set(days))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends:
            if ends < starts:
                self.add_error("ends_on", _("The term ends before it starts."))
            outside = [d for d in cleaned.get("closed_days") or [] if not starts <= d <= ends]
            if outside:
                self.add_error(
                    "closed_days",
                    _("%(day)s is outside the term.") % {"day": outside[0].isoformat()},
                )
        return cleaned


class OpeningHoursForm(forms.Form):
    """Opening and closing time for each weekday; a weekday left closed has no hours."""

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        existing = {h.weekday: h for h in site.opening_hours.all()} if site and site.pk else {}
        self.days = []
        for weekday, label in Weekday.choices:
            hours = existing.get(weekday)
            self.fields[f"open_{weekday}"] = forms.BooleanField(
                label=label, required=False, initial=hours is not None or weekday < 6
            )
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label=_("Opens"),
                required=False,
                initial=hours.opens if hours else "07:30",
                widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}),
            )
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label=_("Closes"),
                required=False,
                initial=hours.closes if hours else "18:00",
                widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}),
            )
            self.days.append(
                (
                    label,
                    self[f"open_{weekday}"],
                    self[f"opens_{weekday}"],
                    self[f"closes_{weekday}"],
                )
            )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        self.hours = {}
        for weekday, label in Weekday.choices:
            if not cleaned.get(f"open_{weekday}"):
                continue
            opens, closes = cleaned.get(f"opens_{weekday}"), cleaned.get(f"closes_{weekday}")
            if opens is None or closes is None:
                self.add_error(
                    f"opens_{weekday}", _("Give both times for %(day)s.") % {"day": label}
                )
            elif closes <= opens:
                self.add_error(
                    f"closes_{weekday}",
                    _("On %(day)s the site closes before it opens.") % {"day": label},
                )
            else:
                self.hours[weekday] = (opens, closes)
        return cleaned


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "min_age", "max_age"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "min_age": forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 18}),
            "max_age": forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 18}),
        }

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("The oldest age is below the youngest."))
        return cleaned


RoomFormSet = forms.inlineformset_factory(
    Site, Room, form=RoomForm, extra=2, can_delete=True, max_num=12
)
