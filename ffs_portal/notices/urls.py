from django.urls import path

from ffs_portal.notices import views

app_name = "parents"

urlpatterns = [
    path("parents/<str:token>/", views.today, name="today"),
    path("parents/<str:token>/absence/", views.report_absence, name="absence"),
    path("parents/<str:token>/delegate/", views.name_delegate, name="delegate"),
]
