from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ffs_portal"
    verbose_name = _("FFS Portal")

    def ready(self):
        from django.urls import register_converter

        from ffs_portal.celery import ensure_local_folders
        from ffs_portal.converters import TokenConverter

        register_converter(TokenConverter, "token")
        ensure_local_folders()
