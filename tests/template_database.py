"""On PostgreSQL, the test database of each process (each xdist worker, and the run of the
``alone`` tests) is a copy of one template database that the migrations built once, instead
of going through every migration again (some 20 s a process).

The template carries the fingerprint of the migration files that built it: a process finds
it ready when the fingerprint is that of its own migrations, otherwise it builds it anew. The
first process builds it while the others wait on a PostgreSQL advisory lock."""

import hashlib
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings


def migrations_fingerprint() -> str:
    """What decides the schema the migrations build: Django's version and every migration file
    of every installed app."""
    digest = hashlib.sha256(django.get_version().encode())
    for app in sorted(apps.get_app_configs(), key=lambda app: app.label):
        for path in sorted(Path(app.path, "migrations").glob("*.py")):
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def clone_the_template(connection) -> bool:
    """Make this process's test database a copy of the template, built first if need be.
    True when it did (PostgreSQL), False when the database is built the usual way."""
    if connection.vendor != "postgresql":
        return False
    quote = connection.ops.quote_name
    template = f"test_{connection.settings_dict['NAME']}_template"
    test_name = connection.creation._get_test_db_name()
    fingerprint = migrations_fingerprint()
    with connection._nodb_cursor() as cursor:
        # Held until the cursor's connection closes: one process builds, the others wait.
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [template],
        )
        found = cursor.fetchone()
        if found is None or found[0] != fingerprint:
            build_template(connection, template)
            cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS %s", [fingerprint])
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
        cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
    return True


def build_template(connection, template: str) -> None:
    """Run every migration into a new database named ``template``."""
    test_settings = connection.settings_dict["TEST"]
    test_name, name = test_settings.get("NAME"), connection.settings_dict["NAME"]
    test_settings["NAME"] = template
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    finally:
        # Back to this process's own test database, and no session left on the template
        # (a database cannot be copied while someone is connected to it).
        connection.close()
        test_settings["NAME"] = test_name
        connection.settings_dict["NAME"] = name
        settings.DATABASES[connection.alias]["NAME"] = name
