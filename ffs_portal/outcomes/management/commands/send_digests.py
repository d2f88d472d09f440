"""Build and send (or print) the daily attendance e-mails of a day, for backfill and
support."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attendance import digests
from attendance.models import DigestRun, DigestStatus
from ffs_portal.outcomes import digest


class Command(BaseCommand):
    help = "Send the daily attendance e-mails of a day (or print them with --dry-run)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
        parser.add_argument("--recipient", help="only this user's e-mail address")
        parser.add_argument("--dry-run", action="store_true", help="print, send nothing")
        parser.add_argument(
            "--force",
            action="store_true",
            help="send again even when sent, or when a worker stopped while sending",
        )

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(
                f"--date must look like 2026-07-15, not {options['date']!r}"
            ) from error
        users = digests.recipients()
        if options["recipient"]:
            users = users.filter(email__iexact=options["recipient"])
            if not users.exists():
                raise CommandError(
                    f"No coordinator or site lead receiving the daily e-mail has the address "
                    f"{options['recipient']}."
                )
        for user in users.order_by("username"):
            if options["dry_run"]:
                subject, text, _html = digest.render(user, day)
                self.stdout.write(f"To: {user.email}\nSubject: {subject}\n\n{text}\n{'-' * 72}")
                continue
            self.stdout.write(f"{user.email}: {self.send(user, day, options['force'])}")

    def send(self, user, day, force) -> str:
        run, _created = DigestRun.objects.get_or_create(recipient=user, day=day)
        if run.status == DigestStatus.SENT and not force:
            return "sent already (use --force to send again)"
        if run.status == DigestStatus.SENDING and not force:
            return "a worker is sending it, or stopped while sending (use --force to resend)"
        if force:
            DigestRun.objects.filter(pk=run.pk).update(status=DigestStatus.FAILED)
        try:
            sent = digests.deliver(run.pk, digest.message)
        except Exception as error:  # reported, and the run is left failed for a retry
            return f"failed: {error}"
        return "sent" if sent else "taken by another attempt"
