from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    """The morning health check at arrival (晨检), the medicines parents hand in, and the
    watch for the same sign in several children of a site."""

    name = "attendance.health"
    label = "health"
    verbose_name = _("Health")
    default_auto_field = "django.db.models.BigAutoField"
