from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment.roster.reading import RawSheet, RosterFileError, check_size, read_roster
from ffs_portal.lib.forms import field_of

ACCEPT = ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"


class FactoryChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        super().__init__(queryset=queryset, to_field_name="code", **kwargs)


class RosterUploadForm(forms.Form):
    """A roster file; a person who works for several factories also says which one."""

    factory = FactoryChoiceField(
        queryset=None, label=_("Factory"), empty_label=_("Choose a factory")
    )
    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
        help_text=_("One row per child, in the columns of the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, factories, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "factory", forms.ModelChoiceField).queryset = factories
        self.sheet: RawSheet | None = None
        self.content = b""
        # HR works for one factory: nothing to choose, and nothing to tamper with.
        self.only_factory = factories[0] if len(factories) == 1 else None
        if self.only_factory:
            del self.fields["factory"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's own form tag has the token
        fields = [Field("file", css_class="form-control-lg")]
        self.helper.layout = Layout(*(["factory"] if "factory" in self.fields else []), *fields)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.only_factory:
            cleaned["factory"] = self.only_factory
        return cleaned

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
            self.content = upload.read()
            self.sheet = read_roster(self.content)
        except RosterFileError as error:
            raise ValidationError(error.messages) from error
        return upload


class RosterExportForm(forms.Form):
    FORMATS = [("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV (UTF-8)"))]

    factory = FactoryChoiceField(queryset=None, label=_("Factory"), empty_label=None)
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMATS, initial="xlsx", widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Why do you need this file?"),
        max_length=200,
        help_text=_(
            "For example: checking the list with the workshop leaders. The reason is kept "
            "with the record of the download."
        ),
    )

    def __init__(self, *args, factories, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self.fields, "factory", forms.ModelChoiceField).queryset = factories
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout("factory", "format", "reason")
        self.helper.add_input(Submit("export", _("Download"), css_class="btn-primary"))
