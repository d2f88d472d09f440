from django.urls import path

from ffs_portal.urls import urlpatterns as portal_urlpatterns


def boom(request):
    raise RuntimeError("secret-detail from the database")


urlpatterns = [path("boom/", boom, name="boom"), *portal_urlpatterns]
