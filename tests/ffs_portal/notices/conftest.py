import pytest
from django.utils import translation

from attendance import services
from tests.factories import PickupPermissionFactory, enrolled_child


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def messages_in_tmp(settings, tmp_path):
    settings.NOTICE_FILE_PATH = tmp_path / "messages"
    settings.NOTICE_BACKEND = "file"
    return settings.NOTICE_FILE_PATH


@pytest.fixture
def child(term_a):
    """A child whose family agreed to messages, with one worker parent."""
    child = enrolled_child(term_a, name="王小明")
    child.consents.update(covers_messages=True)
    return child


@pytest.fixture
def parent(child):
    return child.family.workers.get()


@pytest.fixture
def grandma(child):
    return PickupPermissionFactory(child=child, adult__name="李秀英").adult


@pytest.fixture
def checked_in(child, site_a, carer):
    services.check_in(site=site_a, child=child, by=carer)
    return child
