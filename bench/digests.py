"""Benchmark: building the daily attendance e-mails for the whole program.

Makes (or reuses) program-scale data with ``generate_program_data`` — 100 factories and 150
sites; a short history of attendance is enough here — and 150 recipients: a site lead for
each of 100 sites and 50 coordinators, some overseeing every factory, some a handful. Then
builds and renders every recipient's e-mail (subject, text, HTML, in their language) as the
worker does, and sends it to Django's in-memory outbox.

Baseline, measured in the same run: the same number of e-mails with a fixed body rendered
from a template and sent the same way (what sending costs without the figures).

    python bench/digests.py [--keep] [--days 14]

Target: under 10 s for the 150 e-mails; a constant number of queries per e-mail.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ffs_portal.settings")

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from enrollment.models import Factory, Site  # noqa: E402
from ffs_portal.demo import generate  # noqa: E402
from ffs_portal.models import Role, User  # noqa: E402
from ffs_portal.outcomes import digest as content  # noqa: E402

TARGET_SECONDS = 10
PREFIX = "bench-digest-"

FIXED = Template(
    "{% load i18n %}{% translate 'Daily attendance' %} {{ day }}\n"
    "{% for n in lines %}{% translate 'Sites' %} {{ n }}\n{% endfor %}"
)


def recipients(sites: list[Site], factories: list[Factory]) -> list[User]:
    rng = random.Random(2026)
    users = []
    for number, site in enumerate(sites[:100]):
        user = User.objects.create(
            username=f"{PREFIX}lead-{number}",
            role=Role.SITE_LEAD,
            email=f"lead{number}@example.com",
            language="zh-hans" if number % 4 else "en",
        )
        user.sites.add(site)
        users.append(user)
    for number in range(50):
        everyone = number % 5 == 0
        user = User.objects.create(
            username=f"{PREFIX}coordinator-{number}",
            role=Role.COORDINATOR,
            email=f"coordinator{number}@example.com",
            all_factories=everyone,
            language="en" if number % 3 == 0 else "zh-hans",
        )
        if not everyone:
            user.factories.set(rng.sample(factories, 6))
        users.append(user)
    return users


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the data this run generates")
    parser.add_argument("--days", type=int, default=14, help="days of attendance to generate")
    args = parser.parse_args()
    generated = not Factory.objects.filter(code__startswith=generate.PREFIX).exists()
    if generated:
        print(
            f"Generating 100 factories, 150 sites and {args.days} days of attendance…", flush=True
        )
        generate.generate(generate.Plan(days=args.days), generate.Report())
    factories = list(Factory.objects.filter(code__startswith=generate.PREFIX).order_by("code"))
    sites = list(Site.objects.filter(factory__in=factories).order_by("pk"))
    User.objects.filter(username__startswith=PREFIX).delete()
    users = recipients(sites, factories)
    day = timezone.localdate()
    print(f"Data: {len(factories)} factories, {len(sites)} sites, {len(users)} recipients")
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            queries = []
            started = time.perf_counter()
            per_mail = []
            for user in users:
                begun = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    message = content.message(user, day)
                    if message is not None:
                        message.send()
                per_mail.append(time.perf_counter() - begun)
                queries.append(len(captured.captured_queries))
            digest_seconds = time.perf_counter() - started
            sent = len(mail.outbox)

            mail.outbox = []
            started = time.perf_counter()
            for user in users:
                with translation.override(user.language):
                    body = FIXED.render(Context({"day": day, "lines": range(5)}))
                mail.EmailMultiAlternatives("bench", body, to=[user.email]).send()
            baseline_seconds = time.perf_counter() - started
    finally:
        if not args.keep:
            User.objects.filter(username__startswith=PREFIX).delete()
            if generated:
                generate.remove_generated()

    print()
    print(f"{'what':<44}{'seconds':>10}{'× baseline':>12}")
    print(f"{'baseline: fixed e-mail, rendered and sent':<44}{baseline_seconds:>10.2f}{1:>12.1f}")
    print(
        f"{'daily e-mails built, rendered and sent':<44}{digest_seconds:>10.2f}"
        f"{digest_seconds / baseline_seconds:>12.1f}"
    )
    print()
    print(f"E-mails sent: {sent} of {len(users)} recipients (the others had nothing to report)")
    print(
        f"Per e-mail: median {statistics.median(per_mail) * 1000:.0f} ms, "
        f"max {max(per_mail) * 1000:.0f} ms; queries per e-mail: {min(queries)}–{max(queries)}"
    )
    verdict = "met" if digest_seconds < TARGET_SECONDS else "NOT met"
    print(f"Target: {len(users)} e-mails in under {TARGET_SECONDS} s — {verdict}")


if __name__ == "__main__":
    main()
