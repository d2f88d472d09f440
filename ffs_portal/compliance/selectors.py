"""Reads for children's data protection: who looked at a child, data incidents."""

from collections import defaultdict

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from ffs_portal import access, audit
from ffs_portal.compliance.models import DataIncident
from ffs_portal.models import AuditEntry

# How many of the newest reads "who looked at this child" shows per child.
ACCESSES_SHOWN = 10


def child_reads(child) -> QuerySet[AuditEntry]:
    """Every read of ``child``'s record, newest first, with who read it."""
    return (
        AuditEntry.objects.filter(child=child, action__in=audit.READ_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def newest_reads(children, per_child: int = ACCESSES_SHOWN) -> dict[int, list[AuditEntry]]:
    """The newest reads of each of ``children`` (already scoped by the caller), in one
    query however many children: child id → entries, newest first."""
    ids = [child.pk for child in children]
    if not ids:
        return {}
    ranked = (
        AuditEntry.objects.filter(child__in=ids, action__in=audit.READ_ACTIONS)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("child_id")], order_by=[F("at").desc(), F("pk").desc()]
            )
        )
        .filter(rank__lte=per_child)
        .select_related("actor")
        .order_by("child_id", "-at", "-pk")
    )
    found: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in ranked:
        assert entry.child_id is not None
        found[entry.child_id].append(entry)
    return dict(found)


def data_incidents(user) -> QuerySet[DataIncident]:
    """The data incidents ``user`` may see, newest found first."""
    return access.scoped(user, DataIncident).select_related("factory", "recorded_by")
