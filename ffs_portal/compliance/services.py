"""Writes for children's data protection: refused attempts, data incidents, the guardian's
file and the annual pack, each with its audit entry."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ffs_portal import audit
from ffs_portal.compliance import guardian_file
from ffs_portal.compliance.models import DataIncident

# How an object reaches its factory, tried in order (the first field the model has).
_FACTORY_PATHS = (
    ("factory", "factory"),
    ("site", "site__factory"),
    ("family", "family__factory"),
    ("child", "child__family__factory"),
    ("term", "term__site__factory"),
    ("roll_call", "roll_call__site__factory"),
    ("session", "session__factory"),
    ("authorisation", "authorisation__site__factory"),
)


def _factory_path(model: type[models.Model]) -> str | None:
    if model._meta.label == "enrollment.Factory":
        return "pk"
    names = {field.name for field in model._meta.get_fields()}
    return next((path for field, path in _FACTORY_PATHS if field in names), None)


def refused_access_record(*, user, model: type[models.Model], lookup: dict, page: str) -> bool:
    """Log that ``user`` asked for an object of ``model`` outside their scope, when it exists
    (a 404 for something that does not exist is no attempt on anyone's data). The entry names
    the object's factory, the kind of record and the page; never the object itself."""
    path = _factory_path(model)
    try:
        found = model._default_manager.filter(**lookup).values_list(path or "pk", flat=True)[:1]
        hit = list(found)
    except (ValueError, TypeError, ValidationError):
        return False
    if not hit:
        return False
    entry = audit.entry(actor=user, action=audit.REFUSED_ACCESS, model=model._meta.label, page=page)
    # The factory whose data it was, for that factory's compliance pack.
    entry.factory_id = hit[0] if path else None
    entry.save()
    return True


DATA_INCIDENT_FIELDS = (
    "factory",
    "found_on",
    "summary",
    "data_exposed",
    "children_affected",
    "families_affected",
    "authority",
    "authority_told_on",
    "families_told_on",
    "families_told_how",
    "actions_taken",
    "closed_on",
)


@transaction.atomic
def data_incident_save(*, incident: DataIncident | None, by, **fields) -> DataIncident:
    """Record a data incident, or change one; the audit entry names the fields changed."""
    if incident is None:
        incident = DataIncident(recorded_by=by)
        changed = [name for name in DATA_INCIDENT_FIELDS if fields.get(name) not in (None, "")]
    else:
        # The stored row, locked: a form may have changed the instance it was given.
        incident = DataIncident.objects.select_for_update().get(pk=incident.pk)
        changed = [
            name
            for name in DATA_INCIDENT_FIELDS
            if name in fields and getattr(incident, name) != fields[name]
        ]
    for name, value in fields.items():
        if name not in DATA_INCIDENT_FIELDS:
            raise TypeError(f"unknown field {name}")
        setattr(incident, name, value)
    incident.updated_at = timezone.now()
    incident.full_clean(exclude=["recorded_by"])
    creating = incident.pk is None
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError as error:  # a constraint the form did not see (a race)
        raise ValidationError(
            _("Someone changed this incident at the same time. Open it again and save.")
        ) from error
    if creating or changed:
        audit.record(
            actor=by,
            action="data_incident.recorded" if creating else "data_incident.changed",
            factory=incident.factory,
            incident=str(incident.key),
            fields=changed,
        )
    return incident


@transaction.atomic
def guardian_file_make(*, child, by) -> bytes:
    """Everything held about ``child``, for the guardian; the file's making is itself a read
    of the record, logged first so the file's access log shows it."""
    audit.record(actor=by, action="child.file_given", child=child, page="guardian_file")
    return guardian_file.build(child)


def compliance_pack_made(*, by, year: int, factories: int) -> None:
    """Record that ``by`` made the annual compliance pack for ``year``."""
    audit.record(actor=by, action="compliance.pack_made", year=year, factories=factories)
