"""Database helpers that know no model."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """Reads inside see the database as it was at one moment, as if no one wrote meanwhile:
    a page that labels what it shows with a version read in the same block is never labelled
    newer or older than its content. Inside a transaction already (an act, a test), the
    reads share that transaction."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: one transaction is one snapshot already.
        yield
