"""The code of the moment of a demo user's authenticator, for trying the demo without a phone.

Only the authenticators made by seed_demo answer: a real person's is on their phone alone."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ffs_portal.demo.management.commands.seed_demo import DEMO_DEVICE


class Command(BaseCommand):
    help = "Print the two-factor code of the moment of a demo user (coordinator, admin)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="coordinator")

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(
            user__username__iexact=options["username"], name=DEMO_DEVICE, confirmed=True
        ).first()
        if device is None:
            raise CommandError(
                f"{options['username']} has no demo authenticator. Demo users with one are "
                "made by `python manage.py seed_demo` (coordinator, admin)."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
