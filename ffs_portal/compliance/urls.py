from django.urls import path

from ffs_portal.compliance import views

app_name = "compliance"

urlpatterns = [
    path("children-data/", views.pack_page, name="pack"),
    path("children-data/incidents/", views.incident_list, name="incident_list"),
    path("children-data/incidents/new/", views.incident_edit, name="incident_create"),
    path(
        "children-data/incidents/<uuid:data_incident>/",
        views.incident_edit,
        name="incident_edit",
    ),
    path(
        "families/children/<uuid:child>/guardian-file/",
        views.guardian_file,
        name="guardian_file",
    ),
]
