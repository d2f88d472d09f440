"""Sessions in the database, as Django keeps them, read with one prepared statement: every
request a tablet sends reads its session, and the ORM's compiler cost more than the read."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from ffs_portal.lib.db import execute_prepared

SESSION = (
    "SELECT session_data, expire_date FROM django_session "
    "WHERE session_key = %(key)s AND expire_date > %(now)s"
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        # As Django's: None for a session that is not there or has expired (the key is then
        # forgotten, so that a new one is made).
        key = self.session_key
        if key is not None:
            with connection.cursor() as cursor:
                now = connection.ops.adapt_datetimefield_value(timezone.now())
                execute_prepared(cursor, "session_by_key", SESSION, {"key": key, "now": now})
                row = cursor.fetchone()
            if row is not None:
                return Session(session_key=key, session_data=row[0], expire_date=row[1])
        self._session_key = None
        return None
