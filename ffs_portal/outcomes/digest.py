"""The daily attendance e-mail's content: the dashboard's figures of the sites a coordinator
or a site lead oversees, for one day, as a subject, a text and an HTML body. Sending it once
a day (the DigestRun claims) is attendance.digests' business."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from attendance import selectors as attendance_selectors
from attendance.health import selectors as health_selectors
from attendance.models import Incident, IncidentKind
from enrollment.models import Site
from ffs_portal import access
from ffs_portal.models import User
from ffs_portal.notices import selectors as notice_selectors
from ffs_portal.outcomes import dashboard, live
from ffs_portal.outcomes.figures import Figures
from ffs_portal.outcomes.tables import Flag
from staff.models import RatioDay
from staff.selectors import qualification_warnings


def _day_end(day: date) -> datetime:
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


@dataclass
class DigestRow:
    """A site in the e-mail: its row of the dashboard, and what the e-mail adds to it."""

    dashboard: dashboard.SiteRow
    # (kind, how many); the kind in the recipient's language once rendered
    incident_kinds: list[tuple[Any, int]] = field(default_factory=list)
    minutes_over_today: int = 0
    # Messages to the site's families that day.
    messages_sent: int = 0
    messages_failed: int = 0
    # The health check and medicines: counts only, never a child or a sign.
    health: health_selectors.DayCounts = field(default_factory=health_selectors.DayCounts)

    @property
    def site(self) -> Site:
        return self.dashboard.site

    @property
    def today(self) -> live.Today:
        return self.dashboard.today

    @property
    def last_7(self) -> Figures:
        return self.dashboard.last_7

    @property
    def placed(self) -> int:
        return self.dashboard.placed

    @property
    def waitlisted(self) -> int:
        return self.dashboard.waitlisted

    @property
    def flags(self) -> list[Flag]:
        return self.dashboard.flags

    @property
    def red(self) -> bool:
        return self.dashboard.red


@dataclass
class Digest:
    recipient: User
    day: date
    rows: list[DigestRow]  # the sites that opened, needing attention first
    not_open: list[Site]  # sites that should have opened that day but where nobody checked in
    closed: list[Site]  # sites not due to open that day (no term running, closed day or weekday)
    expiring: list  # staff qualifications lapsed or lapsing within 30 days
    dashboard_url: str
    # The last week's e-mails to the recipient or the people they oversee that failed or
    # perhaps went out: someone should ask whether they arrived.
    troubled: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No site of the recipient's was due to open that day and nothing else to say."""
        return not (self.rows or self.not_open or self.expiring or self.troubled)

    @property
    def attention(self) -> int:
        return sum(1 for row in self.rows if row.flags)

    @property
    def calm(self) -> int:
        return len(self.rows) - self.attention


def build(recipient, day: date, now: datetime | None = None) -> Digest:
    """The figures of every site the recipient oversees, for ``day``, in the dashboard's
    order (sites needing attention first). A constant number of queries, whatever the
    number of sites. No medical notes, hukou or ID numbers: only counts and names of staff."""
    now = min(now or timezone.now(), _day_end(day) - timedelta(seconds=1))
    scope = dashboard.scope(recipient, dashboard.Filters(), today=day)
    site_rows = dashboard.site_rows(scope, now)
    ids = [row.site.pk for row in site_rows]
    kinds: dict[int, list[tuple[Any, int]]] = {}
    for site_id, kind, n in (
        Incident.objects.filter(site__in=ids, occurred_at__date=day)
        .values_list("site", "kind")
        .annotate(n=Count("pk"))
        .order_by("site", "kind")
    ):
        kinds.setdefault(site_id, []).append((IncidentKind(kind).label, n))
    minutes = dict(
        RatioDay.objects.filter(site__in=ids, day=day).values_list("site", "minutes_over")
    )
    messages = notice_selectors.sent_and_failed(ids, day)
    health = health_selectors.day_counts(ids, day, now)
    rows = [
        DigestRow(
            dashboard=row,
            incident_kinds=kinds.get(row.site.pk, []),
            minutes_over_today=minutes.get(row.site.pk, 0),
            messages_sent=messages.get(row.site.pk, (0, 0))[0],
            messages_failed=messages.get(row.site.pk, (0, 0))[1],
            health=health.get(row.site.pk, health_selectors.DayCounts()),
        )
        for row in site_rows
    ]
    # Open that day: a term running, the site open that weekday, not a closed day.
    scheduled = [row for row in rows if row.today.open and row.today.listed]
    return Digest(
        recipient=recipient,
        day=day,
        rows=[row for row in scheduled if row.today.attended or row.today.absent],
        not_open=[row.site for row in scheduled if not (row.today.attended or row.today.absent)],
        closed=[row.site for row in rows if not (row.today.open and row.today.listed)]
        + list(access.scoped(recipient, Site).exclude(pk__in=ids).order_by("name")),
        expiring=qualification_warnings(recipient, day),
        dashboard_url=settings.PORTAL_URL + reverse("attendance:dashboard"),
        troubled=_troubled(recipient, day),
    )


def _troubled(recipient, day: date) -> list:
    with translation.override(recipient.language):
        return attendance_selectors.emails_needing_attention(recipient, day)


def render(recipient, day: date, now: datetime | None = None, digest: Digest | None = None):
    """Subject, text and HTML of the e-mail, in the recipient's language."""
    with translation.override(recipient.language):
        context = {"digest": digest or build(recipient, day, now)}
        subject = " ".join(render_to_string("emails/digest_subject.txt", context).split())
        return (
            subject,
            render_to_string("emails/digest.txt", context),
            render_to_string("emails/digest.html", context),
        )


def message(recipient, day: date, now: datetime | None = None) -> EmailMultiAlternatives | None:
    """The e-mail, or None on a day with nothing to report (no site due to open)."""
    digest = build(recipient, day, now)
    if digest.empty:
        return None
    subject, text, html = render(recipient, day, digest=digest)
    email = EmailMultiAlternatives(subject, text, to=[recipient.email])
    email.attach_alternative(html, "text/html")
    return email
