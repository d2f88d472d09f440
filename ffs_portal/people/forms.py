from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Field, Layout, Row, Submit
from django import forms
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils.translation import gettext_lazy as _

from enrollment.forms import DateInput
from enrollment.models import Factory, Site
from ffs_portal import access
from ffs_portal.lib.forms import field_of
from ffs_portal.models import Role
from ffs_portal.validators import validate_mobile

# Roles given on the people pages; sponsors' logins are given on the sponsor's page.
PEOPLE_ROLES = [Role.HR, Role.CHILDCARE, Role.SITE_LEAD, Role.COORDINATOR, Role.ADMIN]
SITE_ROLES = (Role.CHILDCARE, Role.SITE_LEAD)

INVITE = "invite"
HAND_OVER = "password"


def _offer(field, objects, label) -> None:
    """Show only ``objects`` as choices. The field still accepts any existing object, so a
    forged choice reaches the service's scope check and is refused there (403), not passed
    off as a typing mistake."""
    field.widget.choices = [(obj.pk, label(obj)) for obj in objects]
    if isinstance(field, forms.ModelChoiceField) and not isinstance(
        field, forms.ModelMultipleChoiceField
    ):
        field.widget.choices.insert(0, ("", "---------"))


class PersonForm(forms.Form):
    """A person's name, role and scope. The role and the factories and sites offered are
    those the manager may give (ffs_portal.access.grantable_*)."""

    last_name = forms.CharField(label=_("Family name"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("For the invitation, password resets and the daily e-mail."),
    )
    language = forms.ChoiceField(label=_("Language"))
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in PEOPLE_ROLES])
    factory = forms.ModelChoiceField(
        label=_("Factory"),
        queryset=Factory.objects.all(),
        required=False,
        help_text=_("Factory HR work for this factory."),
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where a site lead or childcare worker works."),
    )
    all_factories = forms.BooleanField(
        label=_("All factories"),
        required=False,
        help_text=_("A coordinator of the whole program, now and as factories join."),
    )
    factories = forms.ModelMultipleChoiceField(
        label=_("Factories overseen"),
        queryset=Factory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The factories a coordinator oversees."),
    )

    def __init__(self, *args, manager, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.manager = manager
        field_of(self.fields, "language", forms.ChoiceField).choices = settings.LANGUAGES
        roles = access.grantable_roles(manager)
        self.fields["role"].widget.choices = [
            (r.value, r.label) for r in PEOPLE_ROLES if r in roles
        ]
        sites = (
            access.grantable_sites(manager)
            .select_related("factory")
            .order_by("factory__name", "name")
        )
        factories = access.grantable_factories(manager).order_by("name")
        _offer(self.fields["sites"], sites, lambda s: f"{s.factory.name} · {s.name}")
        _offer(self.fields["factory"], factories, lambda f: f.name)
        _offer(self.fields["factories"], factories, lambda f: f.name)
        shown = {
            "factory": Role.HR in roles,
            "sites": any(r in roles for r in SITE_ROLES),
            "factories": Role.COORDINATOR in roles,
            "all_factories": Role.COORDINATOR in roles and manager.role == Role.ADMIN,
        }
        for name, show in shown.items():
            if not show:
                del self.fields[name]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("last_name"), Column("first_name")),
            Row(Column("email"), Column("language")),
            Field("role", data_role_choice=""),
            *[
                Div(name, data_for_roles=roles_for)
                for name, roles_for in (
                    ("factory", "hr"),
                    ("sites", "childcare site_lead"),
                    ("all_factories", "coordinator"),
                    ("factories", "coordinator"),
                )
                if name in self.fields
            ],
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        role = cleaned.get("role")
        if role not in access.grantable_roles(self.manager):
            return cleaned  # not offered: the service refuses it (403), whatever the scope
        if role == Role.HR and not cleaned.get("factory"):
            self.add_error("factory", _("Choose the factory this HR user works for."))
        if role in SITE_ROLES and not cleaned.get("sites"):
            self.add_error("sites", _("Choose at least one site."))
        if (
            role == Role.COORDINATOR
            and not cleaned.get("all_factories")
            and not cleaned.get("factories")
        ):
            self.add_error("factories", _("Choose the factories this coordinator oversees."))
        return cleaned

    def scope(self) -> access.Scope:
        """The role and the scope that goes with it; the rest of the scope left empty."""
        cleaned = self.cleaned_data
        role = cleaned["role"]
        coordinator = role == Role.COORDINATOR
        return access.Scope(
            role=role,
            factory=cleaned.get("factory") if role == Role.HR else None,
            sites=tuple(cleaned.get("sites") or ()) if role in SITE_ROLES else (),
            factories=tuple(cleaned.get("factories") or ()) if coordinator else (),
            all_factories=bool(cleaned.get("all_factories")) and coordinator,
        )

    def details(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("last_name", "first_name", "email", "language")
        }


class PersonAddForm(PersonForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=30,
        validators=[ASCIIUsernameValidator()],
        help_text=_("Letters, digits and . - _ only, e.g. zhou.li. Not case-sensitive."),
    )
    how = forms.ChoiceField(
        label=_("How they get their password"),
        choices=[
            (INVITE, _("E-mail an invitation: they choose their password from a link (72 hours)")),
            (
                HAND_OVER,
                _("Show a one-time password now, to hand over; they choose their own at sign-in"),
            ),
        ],
        initial=INVITE,
        widget=forms.RadioSelect,
    )
    mobile = forms.CharField(
        label=_("Mobile"), max_length=11, required=False, validators=[validate_mobile]
    )
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout.fields.insert(1, "username")
        self.helper.layout.fields.append(
            Div(Row(Column("mobile"), Column("started_on")), data_for_roles="childcare site_lead")
        )
        self.helper.layout.fields.append("how")
        self.helper.form_tag = True
        self.helper.add_input(Submit("submit", _("Add the person"), css_class="btn-lg"))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # PersonForm.clean returns the cleaned data
        if cleaned.get("how") == INVITE and not cleaned.get("email"):
            self.add_error(
                "email",
                _("An invitation goes by e-mail: give an address, or show a one-time password."),
            )
        return cleaned

    def profile(self) -> dict:
        return {
            "mobile": self.cleaned_data["mobile"],
            "started_on": self.cleaned_data["started_on"],
        }


class PersonChangeForm(PersonForm):
    def __init__(self, *args, person, **kwargs):
        initial = {
            "last_name": person.last_name,
            "first_name": person.first_name,
            "email": person.email,
            "language": person.language,
            "role": person.role,
            "factory": person.factory_id,
            "sites": [s.pk for s in person.sites.all()],
            "all_factories": person.all_factories,
            "factories": [f.pk for f in person.factories.all()],
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.helper.form_tag = True
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-lg"))
