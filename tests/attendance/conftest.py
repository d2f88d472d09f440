"""A test client that is a registered tablet (it carries the tablet's cookie)."""

from attendance.tablet import middleware
from tests.conftest import PIN

__all__ = ["PIN", "as_tablet"]


def as_tablet(client, tablet):
    """``client``, carrying ``tablet``'s cookie."""
    client.cookies[middleware.COOKIE] = middleware.cookie_value(tablet)
    return client
