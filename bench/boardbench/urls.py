from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_POST

from attendance.tablet import middleware as tablet_middleware
from ffs_portal.models import AuditEntry
from ffs_portal.urls import handler403  # noqa: F401
from ffs_portal.urls import urlpatterns as portal


@require_POST
def bare_insert(request):
    """The baseline: a signed-in request through the same middleware doing one INSERT."""
    AuditEntry.objects.create(actor=request.user, action="bench.insert")
    return HttpResponse("ok")


def bare_page(request):
    """The baseline for pages: a signed-in request through the same middleware, no query."""
    return HttpResponse("<!doctype html><title>ok</title><p>ok</p>")


urlpatterns = [
    path("bench/insert/", bare_insert, name="bench_insert"),
    path("bench/page/", bare_page, name="bench_page"),
    path("", include(portal)),
]

# A tablet unlocked with a PIN reaches only the door's pages: the baselines are among them.
tablet_middleware.PIN_PAGES[""] |= {"bench_insert", "bench_page"}
