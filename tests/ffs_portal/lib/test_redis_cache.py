import threading

import pytest
from django.core.cache import caches


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "ffs_portal.lib.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-redis-cache",
        },
    }
    cache = caches["shared"]
    yield cache
    cache.clear()


def test_one_client_serves_every_call_and_every_thread(redis_cache):
    """The portal's Redis cache keeps one redis-py client (Django builds one per call), and
    that client answers several threads at once correctly."""
    first = redis_cache._cache.get_client("a")
    assert redis_cache._cache.get_client("b", write=True) is first
    errors = []

    def work(n):
        for i in range(50):
            redis_cache.set(f"k{n}-{i}", {"n": n, "i": i}, 30)
            if redis_cache.get(f"k{n}-{i}") != {"n": n, "i": i}:
                errors.append((n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert redis_cache.get_many([f"k{n}-49" for n in range(4)]) == {
        f"k{n}-49": {"n": n, "i": 49} for n in range(4)
    }
