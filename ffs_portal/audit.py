"""The record of who viewed or changed children's and families' data.

Services call ``record`` inside their own transaction, so an audit entry exists exactly
when the change it describes does.
"""

from ffs_portal.models import AuditEntry


def record(
    *, actor, action: str, factory=None, family=None, child=None, about=None, **details
) -> AuditEntry:
    """Write an entry; ``about`` is the account it concerns (shown on that person's page)."""
    if child is not None and family is None:
        family = child.family
    if family is not None and factory is None:
        factory = family.factory
    return AuditEntry.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        factory=factory,
        family=family,
        child=child,
        person=about,
        details=details,
    )


def record_views(*, actor, children, action="child.viewed") -> None:
    """One entry per child shown to ``actor`` (a page listing several children)."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            action=action,
            factory_id=child.family.factory_id,
            family_id=child.family_id,
            child=child,
        )
        for child in children
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
