from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    """Migrant Parent Training: sessions for workers on parenting from a distance."""

    name = "enrollment.training"
    label = "training"
    verbose_name = _("Migrant Parent Training")
