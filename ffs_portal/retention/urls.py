from django.urls import path

from ffs_portal.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("dry-run/", views.dry_run, name="dry_run"),
    path("children/<uuid:child>/anonymise/", views.child_anonymise, name="child_anonymise"),
    path("children/<uuid:child>/hold/", views.hold_place, name="hold_place"),
    path("holds/<int:hold>/lift/", views.hold_lift, name="hold_lift"),
]
