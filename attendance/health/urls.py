from django.urls import path

from attendance.health import views

app_name = "health"

child = "board/<int:site>/children/<uuid:child>/"

urlpatterns = [
    path(child + "health-check/", views.health_check, name="health_check"),
    path(child + "noon-check/", views.noon_check, name="noon_check"),
    path(child + "medicines/", views.child_medicines, name="child_medicines"),
    path("board/<int:site>/health/", views.site_health, name="site_health"),
    path(
        "board/<int:site>/medicines/<uuid:authorisation>/dose/",
        views.give_dose,
        name="give_dose",
    ),
    path(
        "board/<int:site>/medicines/<uuid:authorisation>/photo/",
        views.medicine_photo,
        name="medicine_photo",
    ),
]
