from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("", views.family_list, name="family_list"),
]
