"""Database helpers that know no model."""

import functools
import re
import weakref
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
    return _insert(instance, " ON CONFLICT DO NOTHING")


def insert(instance: models.Model) -> None:
    """Insert ``instance`` as ``Model.objects.create`` would (a constraint that refuses it
    raises ``IntegrityError``), in a statement written out without the ORM's compiler: for
    the rows every tap on the board writes. No signals are sent (the portal uses none)."""
    _insert(instance, "")


def _insert(instance: models.Model, on_conflict: str) -> bool:
    meta = instance._meta
    # No primary key yet: the database numbers the row (a key with a default has its value).
    generated = instance.pk is None
    fields = [f for f in meta.concrete_fields if not (generated and f.primary_key)]
    quote = connection.ops.quote_name
    returning = quote(meta.pk.column) if meta.pk is not None else "1"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - names only
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
        f"{on_conflict} RETURNING {returning}"
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


_NAMED = re.compile(r"%\((\w+)\)s")
# The statements prepared on each open PostgreSQL connection, by name.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def execute_prepared(cursor, name: str, sql: str, params: dict) -> None:
    """Run ``sql`` (with ``%(name)s`` parameters) on ``cursor``. On PostgreSQL it is prepared
    once per connection and then executed by name, so that a statement run at every tap is
    parsed and planned once, not each time; elsewhere it is run as it is. ``name`` is the
    statement's, the same for the same ``sql``. Preparing is the connection's business, not
    the request's: it is not among the queries Django counts."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    names = list(dict.fromkeys(_NAMED.findall(sql)))
    done = _prepared.setdefault(connection.connection, set())
    if name not in done:
        numbered = _NAMED.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql)
        with connection.connection.cursor() as raw:
            raw.execute(f"PREPARE {name} AS {numbered}")
        done.add(name)
    placeholders = ", ".join(["%s"] * len(names))
    cursor.execute(f"EXECUTE {name} ({placeholders})", [params[key] for key in names])


def columns(model: type[models.Model], alias: str) -> str:
    """The columns of ``model``'s fields, of the table named ``alias`` in a statement, in
    the order ``instances`` reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def instances(row, *model_classes: type[models.Model]) -> list[models.Model | None]:
    """One instance of each of ``model_classes`` from a row holding their ``columns`` in turn,
    the values converted as the ORM converts them; None for a model whose primary key is
    NULL (a LEFT JOIN that found nothing)."""
    found: list[models.Model | None] = []
    start = 0
    for model in model_classes:
        names, pk, readers = _readers(model, connection.vendor)
        values = list(row[start : start + len(names)])
        start += len(names)
        if values[pk] is None:
            found.append(None)
            continue
        for i, col, converters in readers:
            for converter in converters:
                values[i] = converter(values[i], col, connection)
        found.append(model.from_db(connection.alias, names, values))
    return found


def read_instances(name: str, sql: str, params: dict, *model_classes: type[models.Model]):
    """The first row of ``sql`` (prepared as ``name``, see ``execute_prepared``) as instances
    of ``model_classes`` (see ``instances``); None when there is no row."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, name, sql, params)
        row = cursor.fetchone()
    return None if row is None else instances(row, *model_classes)


@functools.cache
def _readers(model: type[models.Model], vendor: str):
    """A model's field names, the place of its primary key, and the ORM's converters of the
    values that have any, on this database."""
    fields = model._meta.concrete_fields
    readers = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            readers.append((i, col, converters))
    return [f.attname for f in fields], fields.index(model._meta.pk), readers
