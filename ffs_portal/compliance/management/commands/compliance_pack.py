from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from enrollment.models import Factory
from ffs_portal.compliance import pack, services
from ffs_portal.compliance.forms import FIRST_PACK_YEAR
from ffs_portal.compliance.models import DataIncident


class Command(BaseCommand):
    help = (
        "Write the annual compliance pack on children's personal information for a year, "
        "over every factory, as an Excel file."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="the year, e.g. 2026")
        parser.add_argument(
            "-o", "--output", required=True, help="the .xlsx file to write, e.g. pack-2026.xlsx"
        )
        parser.add_argument(
            "--language", default="zh-hans", help="zh-hans (default) or en: the file's language"
        )

    def handle(self, *args, year: int, output: str, language: str, **options):
        if not FIRST_PACK_YEAR <= year <= 2100:
            raise CommandError(f"Give a year from {FIRST_PACK_YEAR}, e.g. 2026.")
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        with translation.override(language):
            built = pack.build(
                year=year,
                factories=Factory.objects.all(),
                incidents=DataIncident.objects.all(),
                whole=True,
            )
            content = pack.to_xlsx(built)
        target.write_bytes(content)
        services.compliance_pack_made(by=None, year=year, factories=built.factories)
        self.stdout.write(
            f"Compliance pack {year}: {built.factories} factories, {built.children} children, "
            f"{built.reads} reads, {built.exports} exports, {built.refused} refused attempts, "
            f"{built.incidents} data incidents → {target}"
        )
