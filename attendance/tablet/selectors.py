"""Reads of the shared tablets: which tablet a browser is, who may unlock it, the faces on
its lock screen."""

import functools
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from attendance import selectors as board_selectors
from attendance.tablet.models import OfflineAct, Tablet
from enrollment.models import Adult, Factory, PickupPermission, Site, Worker
from ffs_portal.lib import avatars, clock, db
from ffs_portal.models import Role, User
from staff.models import DutyPeriod

# Read at every request a tablet sends: the tablet, its site and the site's factory (as
# ``select_related("site__factory")`` reads them) in one statement prepared once per
# connection.
TABLET_BY_KEY = """
SELECT {tablet}, {site}, {factory}
FROM tablet_tablet t
JOIN enrollment_site s ON s.id = t.site_id
JOIN enrollment_factory f ON f.id = s.factory_id
WHERE t.key = %(key)s AND t.revoked_at IS NULL
"""


@functools.cache
def _tablet_by_key_statement() -> str:
    return TABLET_BY_KEY.format(
        tablet=db.columns(Tablet, "t"),
        site=db.columns(Site, "s"),
        factory=db.columns(Factory, "f"),
    )


def tablet_by_key(key) -> Tablet | None:
    """The registered, not revoked, tablet a device cookie names."""
    try:
        value = Tablet._meta.get_field("key").get_db_prep_value(key, connection)
    except (ValueError, TypeError, ValidationError):  # not a key at all
        return None
    found = db.read_instances(
        "tablet_by_key", _tablet_by_key_statement(), {"key": value}, Tablet, Site, Factory
    )
    if found is None:
        return None
    tablet, site, factory = found
    assert isinstance(tablet, Tablet) and isinstance(site, Site)
    Site._meta.get_field("factory").set_cached_value(site, factory)
    Tablet._meta.get_field("site").set_cached_value(tablet, site)
    return tablet


def unlock_candidates(site: Site) -> QuerySet[User]:
    """Who may unlock the site's tablets: its childcare workers and site leads, active."""
    return User.objects.filter(
        sites=site, role__in=[Role.CHILDCARE, Role.SITE_LEAD], is_active=True
    ).select_related("staff_profile")


@dataclass
class Face:
    """A person on the lock screen: name, photo or coloured initials."""

    user: User
    on_duty: bool

    @property
    def name(self) -> str:
        return str(self.user)

    @property
    def has_photo(self) -> bool:
        profile = getattr(self.user, "staff_profile", None)
        return bool(profile and profile.photo)

    @property
    def initials(self) -> str:
        return avatars.avatar_text(self.name)

    @property
    def colour(self) -> str:
        return avatars.avatar_colour(self.user.pk)


def lock_screen_faces(site: Site) -> list[Face]:
    """The site's staff, those on duty first (they are the ones at the tablet)."""
    people = unlock_candidates(site).annotate(
        duty=Exists(DutyPeriod.objects.filter(user=OuterRef("pk"), clock_out_at__isnull=True))
    )
    faces = [Face(user=person, on_duty=person.duty) for person in people]
    faces.sort(key=lambda face: (not face.on_duty, face.name))
    return faces


def day_salt(tablet: Tablet, day: date) -> str:
    """A salt the tablet and the portal share for one day: pickup codes and PIN verifiers
    kept on the tablet are hashed with it, and are worth nothing the next day."""
    message = f"{tablet.key}:{day.isoformat()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def code_check(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def offline_roster(user, tablet: Tablet) -> dict:
    """What the tablet keeps for the day to work without the network: the children on the
    list with their status now, who may collect them (codes as salted hashes), who must not,
    and the staff who may unlock it. A constant number of queries."""
    site = tablet.site
    day = clock.today()
    salt = day_salt(tablet, day)
    board = board_selectors.board(user=user, site=site)
    tiles = [tile for group in board.groups for tile in group.tiles]
    ids = [tile.child.pk for tile in tiles]
    workers: dict[int, list[Worker]] = defaultdict(list)
    for worker in Worker.objects.filter(family_id__in={t.child.family_id for t in tiles}):
        if worker.family_id is not None:
            workers[worker.family_id].append(worker)
    permissions: dict[int, list[PickupPermission]] = defaultdict(list)
    for permission in PickupPermission.objects.filter(child_id__in=ids).select_related("adult"):
        permissions[permission.child_id].append(permission)

    def person(kind: str, who: Worker | Adult, relation: str) -> dict:
        return {
            "id": f"{kind}:{who.pk}",
            "name": who.name,
            "relation": relation,
            "code": code_check(salt, who.pickup_code),
        }

    parent = str(_("Parent (factory worker)"))
    children = []
    for group in board.groups:
        for tile in group.tiles:
            child = tile.child
            allowed = [p for p in permissions[child.pk] if p.is_valid_on(day)]
            children.append(
                {
                    "key": str(child.key),
                    "name": child.name,
                    "initials": tile.avatar,
                    "colour": tile.colour,
                    "age": tile.age,
                    "allergies": child.allergies,
                    "group": group.name,
                    "status": tile.status,
                    "collectors": [person("worker", w, parent) for w in workers[child.family_id]]
                    + [person("adult", p.adult, p.adult.get_relation_display()) for p in allowed],
                    "not_allowed": [p.adult.name for p in permissions[child.pk] if not p.allowed],
                }
            )
    return {
        "site": site.pk,
        "day": day.isoformat(),
        "seq": board.version.seq if board.version else 0,
        "salt": salt,
        "code_required": site.pickup_code_required,
        "children": children,
    }


def offline_acts_to_review(site: Site) -> QuerySet[OfflineAct]:
    return (
        OfflineAct.objects.filter(site=site, needs_review=True, reviewed_at__isnull=True)
        .select_related("child", "by", "tablet")
        .order_by("-happened_at")
    )
