"""Program-scale data for the dashboards' benchmark: 100 factories, 150 sites, 20,000
children and a year of attendance by default (several million records)."""

from django.core.management.base import BaseCommand, CommandError

from ffs_portal.demo import generate


class Command(BaseCommand):
    help = "Generate program-scale data (factories coded gen-…) for the dashboards' benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--factories", type=int, default=100)
        parser.add_argument("--sites", type=int, default=150)
        parser.add_argument("--children", type=int, default=20_000)
        parser.add_argument("--days", type=int, default=365, help="days of attendance up to today")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--replace", action="store_true", help="remove the data of an earlier run first"
        )

    def handle(self, *args, factories, sites, children, days, seed, replace, **options):
        if sites < factories or factories < 1 or children < sites or days < 1:
            raise CommandError(
                "Give at least one factory, at least as many sites as factories, at least as "
                "many children as sites and at least one day."
            )
        if sites > 2 * factories:
            raise CommandError("A factory has at most two sites (a summer space and an ASC).")
        exists = generate.Factory.objects.filter(code__startswith=generate.PREFIX).exists()
        if exists and not replace:
            raise CommandError(
                "Generated data exists already: add --replace to remove it and start again."
            )
        report = generate.Report(self.stdout)
        if replace:
            generate.remove_generated(report)
        plan = generate.Plan(
            factories=factories, sites=sites, children=children, days=days, seed=seed
        )
        counts = generate.generate(plan, report)
        total = report.steps[-1][1]
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {total:.0f} s: {counts['attendance']:,} attendance records, "
                f"{counts['site_days']:,} site-days."
            )
        )
