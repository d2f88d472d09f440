"""Database helpers that know no model."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction


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


def insert_or_nothing(instance: models.Model) -> bool:
    """Insert ``instance`` unless a unique constraint says its place is taken: one statement
    (``ON CONFLICT DO NOTHING``, on PostgreSQL and SQLite alike), so two requests racing for
    the same place never see an error and nothing is left to roll back. True when it was
    inserted (the instance then has its primary key); False when the place was taken, and
    the caller looks at what is there."""
    meta = instance._meta
    # No primary key yet: the database numbers the row (a key with a default has its value).
    generated = instance.pk is None
    fields = [f for f in meta.concrete_fields if not (generated and f.primary_key)]
    quote = connection.ops.quote_name
    returning = quote(meta.pk.column) if meta.pk is not None else "1"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - names only
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT DO NOTHING RETURNING {returning}"
    )
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    if generated:
        instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return True
