import threading
import time

import pytest

from ffs_portal.lib import broker_probe


@pytest.fixture(autouse=True)
def fresh_answers():
    broker_probe.forget()
    yield
    broker_probe.forget()


def test_while_one_request_asks_the_others_answer_with_what_was_known(monkeypatch):
    asking, release = threading.Event(), threading.Event()

    def slow_ask(url):
        asking.set()
        release.wait(5)
        return True

    monkeypatch.setattr(broker_probe, "_ask", slow_ask)
    first = threading.Thread(target=broker_probe.reachable, args=("redis://broker/0",))
    first.start()
    assert asking.wait(5)
    started = time.monotonic()
    assert broker_probe.reachable("redis://broker/0") is False  # nothing known yet
    assert time.monotonic() - started < 0.05
    release.set()
    first.join(5)
    assert broker_probe.reachable("redis://broker/0") is True


def test_a_broker_other_than_redis_is_asked_through_kombu():
    assert broker_probe.reachable("memory://") is True
