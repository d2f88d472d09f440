# The sponsor's report fixture: a summer of six families, to compare totals with.
from tests.ffs_portal.outcomes.test_sponsor_report import sponsored_summer  # noqa: F401
