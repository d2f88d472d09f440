"""The record of who viewed or changed children's and families' data.

Services call ``record`` inside their own transaction, so an audit entry exists exactly
when the change it describes does.
"""

from ffs_portal.lib import db
from ffs_portal.models import AuditEntry

# Reads of a child's record: what "who looked at this child" lists. Each entry names the page
# it came from in ``details["page"]``.
READ_ACTIONS = (
    "child.viewed",
    "child.card_printed",
    "child.calendar_viewed",
    "child.exported",
    "child.file_given",
    "health.viewed",
    "health.medicines_viewed",
    "incident.viewed",
)
# An attempt to reach an object outside the user's factories or sites (a scoping 404).
REFUSED_ACCESS = "access.refused"
# A child's record anonymised (written by the retention rules).
ANONYMISED = "child.anonymised"


def record(
    *, actor, action: str, factory=None, family=None, child=None, about=None, **details
) -> AuditEntry:
    """Write an entry; ``about`` is the account it concerns (shown on that person's page)."""
    if child is not None and family is None:
        family = child.family
    if family is not None and factory is None:
        factory = family.factory
    entry = AuditEntry(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        factory=factory,
        family=family,
        child=child,
        person=about,
        details=details,
    )
    db.insert(entry)
    return entry


def record_views(
    *, actor, children, page: str, action="child.viewed", extra=(), factory_id=None, **details
) -> None:
    """One entry per child shown to ``actor`` on ``page`` (a page listing several children),
    and the ``extra`` entries made with ``entry``, all in one INSERT. ``factory_id``, when the
    page knows it, spares reading each child's family."""
    AuditEntry.objects.bulk_create(
        [
            *extra,
            *(
                AuditEntry(
                    actor=actor,
                    action=action,
                    factory_id=factory_id or child.family.factory_id,
                    family_id=child.family_id,
                    child_id=child.pk,
                    details={"page": page, **details},
                )
                for child in children
            ),
        ]
    )


def entry(*, actor, action: str, factory=None, family=None, child=None, **details) -> AuditEntry:
    """An unsaved entry, for services that write many rows at once with ``record_many``."""
    if child is not None and family is None:
        family = child.family
    if family is not None and factory is None:
        factory = family.factory
    return AuditEntry(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        factory=factory,
        family=family,
        child=child,
        details=details,
    )


def record_many(entries) -> None:
    """Write entries made with ``entry``; call inside the transaction of the change."""
    AuditEntry.objects.bulk_create(entries, batch_size=500)
