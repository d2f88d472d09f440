"""Sums of site-days and the rates made from them, with their definitions in one place."""

from dataclasses import dataclass, fields

from django.db.models import Aggregate, Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# The columns of SiteDay that add up over days and sites.
SUMMED = (
    "expected",
    "attended",
    "absent_ill",
    "absent_family",
    "absent_unknown",
    "unrecorded",
    "late_pickups",
    "not_checked_out",
    "incidents",
    "refused_pickups",
    "minutes_over_ratio",
)

MISSED_REASONS = {
    "absent_ill": gettext_lazy("ill"),
    "absent_family": gettext_lazy("with family"),
    "absent_unknown": gettext_lazy("absent, reason unknown"),
    "unrecorded": gettext_lazy("not recorded"),
}


def sums(prefix: str = "sum_", condition: Q | None = None) -> dict[str, Aggregate]:
    """Aggregates of every summed column (and of days open) for ``.aggregate``/``.annotate``,
    named with a prefix (an annotation may not take a column's own name)."""
    result: dict[str, Aggregate] = {
        f"{prefix}{name}": Sum(name, filter=condition) for name in SUMMED
    }
    open_days = Q(expected__gt=0) if condition is None else condition & Q(expected__gt=0)
    result[f"{prefix}days"] = Count("pk", filter=open_days)
    return result


@dataclass(slots=True)
class Figures:
    """Child-days over some days and sites. Attendance rate: child-days attended over
    child-days expected. Late-pickup rate: late pickups over child-days attended. Incidents
    per 1,000 child-days attended."""

    expected: int = 0
    attended: int = 0
    absent_ill: int = 0
    absent_family: int = 0
    absent_unknown: int = 0
    unrecorded: int = 0
    late_pickups: int = 0
    not_checked_out: int = 0
    incidents: int = 0
    refused_pickups: int = 0
    minutes_over_ratio: int = 0
    days: int = 0

    @classmethod
    def from_row(cls, row: dict, prefix: str = "sum_") -> "Figures":
        return cls(*[row.get(prefix + name) or 0 for name in NAMES])

    def add(self, other: "Figures") -> "Figures":
        for name in NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None

    @property
    def missed(self) -> int:
        return self.expected - self.attended

    @property
    def absent(self) -> int:
        return self.absent_ill + self.absent_family + self.absent_unknown

    @property
    def late_rate(self) -> float | None:
        return self.late_pickups / self.attended if self.attended else None

    @property
    def incidents_per_1000(self) -> float | None:
        return self.incidents * 1000 / self.attended if self.attended else None

    @property
    def unrecorded_share(self) -> float | None:
        return self.unrecorded / self.expected if self.expected else None

    def context(self) -> list[str]:
        """What else happened, in words: incidents, minutes over ratio, late pickups."""
        words = []
        if self.incidents:
            words.append(
                ngettext("%(n)s incident", "%(n)s incidents", self.incidents)
                % {"n": self.incidents}
            )
        if self.minutes_over_ratio:
            words.append(_("%(n)s min over ratio") % {"n": self.minutes_over_ratio})
        if self.late_pickups:
            words.append(
                ngettext("%(n)s late pickup", "%(n)s late pickups", self.late_pickups)
                % {"n": self.late_pickups}
            )
        return words

    def main_reason(self) -> tuple[str, int] | None:
        """The largest share of the missed child-days: (what, how many)."""
        if not self.missed:
            return None
        name = max(MISSED_REASONS, key=lambda n: getattr(self, n))
        return str(MISSED_REASONS[name]), getattr(self, name)


NAMES = tuple(f.name for f in fields(Figures))


def total(figures) -> Figures:
    result = Figures()
    for item in figures:
        result.add(item)
    return result
