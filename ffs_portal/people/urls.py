from django.urls import path

from ffs_portal.people import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_add, name="add"),
    path("<int:person>/", views.person_detail, name="person"),
    path("<int:person>/edit/", views.person_edit, name="edit"),
    path("<int:person>/act/", views.person_act, name="act"),
]
