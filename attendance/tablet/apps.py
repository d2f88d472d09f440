from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TabletConfig(AppConfig):
    """The shared tablet of a childcare space: registered devices that staff unlock with
    their own PIN, and the emergency roll call."""

    name = "attendance.tablet"
    label = "tablet"
    verbose_name = _("Shared tablets")
    default_auto_field = "django.db.models.BigAutoField"
