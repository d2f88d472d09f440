"""Import a roster file from the command line, as the import page does."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from enrollment.models import Factory
from enrollment.roster import services
from enrollment.roster.columns import COLUMNS_BY_KEY
from enrollment.roster.planning import build_plan
from enrollment.roster.reading import RosterFileError, read_roster


class Command(BaseCommand):
    help = (
        "Import a roster of workers' children (.xlsx or CSV, one row per child) into a "
        "factory. Nothing is written when the file has a problem, or with --dry-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument("--factory", required=True, help="the factory's code")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only; write nothing"
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="the language of the report",
        )

    def handle(self, *args, path, factory, dry_run, language, **options):
        with translation.override(language):
            self._import(Path(path), factory, dry_run)

    def _import(self, path: Path, code: str, dry_run: bool) -> None:
        factory = Factory.objects.filter(code=code).first()
        if factory is None:
            raise CommandError(_("There is no factory with the code %(code)s.") % {"code": code})
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("The file %(path)s cannot be read: %(error)s")
                % {"path": path, "error": error.strerror}
            ) from error
        try:
            sheet = read_roster(data)
        except RosterFileError as error:
            raise CommandError(" ".join(error.messages)) from error
        if dry_run:
            plan = build_plan(factory=factory, sheet=sheet)
        else:
            try:
                plan = services.roster_import(factory=factory, sheet=sheet, by=None)
            except services.RosterHasProblems as error:
                plan = error.plan
        self._report(plan)
        if not plan.ok:
            raise CommandError(
                _("%(count)s problem(s): nothing was imported.") % {"count": len(plan.problems)}
            )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Roster imported into %(factory)s.") % {"factory": factory.name}
                )
            )

    def _report(self, plan) -> None:
        labels = {
            "families": _("Families"),
            "workers": _("Workers"),
            "children": _("Children"),
            "adults": _("Pickup adults"),
            "consents": _("Consents"),
            "enrolments": _("Enrolments"),
        }
        for kind, counts in plan.counts().items():
            self.stdout.write(
                _("%(kind)s: %(new)s new, %(changed)s changed, %(same)s unchanged")
                % {
                    "kind": labels[kind],
                    "new": counts["create"],
                    "changed": counts["update"],
                    "same": counts["unchanged"],
                }
            )
        for row in plan.rows:
            for note in row.notes:
                self.stdout.write(_("Row %(row)s: %(note)s") % {"row": row.number, "note": note})
            for problem in row.problems:
                column = COLUMNS_BY_KEY[problem.column] if problem.column else None
                self.stderr.write(
                    _("Row %(row)s, %(column)s: %(message)s")
                    % {
                        "row": problem.row,
                        "column": f"{column.header} ({plan.sheet.letter(column.key)})"
                        if column
                        else "",
                        "message": problem.message,
                    }
                )
