from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data: the small demo of `make run` (seed_demo) and program-scale data for the
    dashboards and benchmarks (generate_program_data)."""

    name = "ffs_portal.demo"
    label = "demo"
    verbose_name = _("Demo data")
