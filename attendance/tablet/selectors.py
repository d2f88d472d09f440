"""Reads of the shared tablets: which tablet a browser is, who may unlock it, the faces on
its lock screen."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from attendance.tablet.models import Tablet
from enrollment.models import Site
from ffs_portal.lib import avatars
from ffs_portal.models import Role, User
from staff.models import DutyPeriod


def tablet_by_key(key) -> Tablet | None:
    """The registered, not revoked, tablet a device cookie names."""
    try:
        return (
            Tablet.objects.select_related("site__factory")
            .filter(key=key, revoked_at__isnull=True)
            .first()
        )
    except (ValueError, TypeError):  # not a key at all
        return None


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
