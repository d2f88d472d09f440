from celery import shared_task

from ffs_portal.lib import clock
from ffs_portal.retention import services


@shared_task(name="retention.tasks.anonymise_due_children", ignore_result=True)
def anonymise_due_children() -> int:
    """Nightly: anonymise the children whose retention period has run out. Returns how many
    (0 when another beat's task has the night's run)."""
    run = services.retention_run_nightly(day=clock.today())
    return run.children if run is not None else 0
