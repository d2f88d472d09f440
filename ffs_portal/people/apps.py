from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """The people pages: managers add, change, switch off and help the accounts of the people
    they oversee (ffs_portal.access says whose)."""

    name = "ffs_portal.people"
    label = "people"
    verbose_name = _("People")
