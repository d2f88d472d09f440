"""Django's model backend, with the signed-in user read at every request in one prepared
statement instead of through the ORM's compiler."""

import functools

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from ffs_portal.lib import db
from ffs_portal.models import User


@functools.cache
def _statement() -> str:
    return (
        f"SELECT {db.columns(User, 'u')} FROM {User._meta.db_table} u "  # noqa: S608 - names only
        "WHERE u.id = %(pk)s"
    )


class PortalBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:  # a session naming no user at all
            return None
        found = db.read_instances("user_by_pk", _statement(), {"pk": pk}, User)
        if found is None:
            return None
        (user,) = found
        assert isinstance(user, User)
        return user if self.user_can_authenticate(user) else None
