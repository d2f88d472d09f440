from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "ffs_portal.outcomes"
    label = "outcomes"
    verbose_name = _("Program outcomes")

    def ready(self):
        from ffs_portal.outcomes import lookups

        lookups.register()
