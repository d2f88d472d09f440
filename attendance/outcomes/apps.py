from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "attendance.outcomes"
    label = "outcomes"
    verbose_name = _("Program outcomes")

    def ready(self):
        from attendance.outcomes import lookups

        lookups.register()
