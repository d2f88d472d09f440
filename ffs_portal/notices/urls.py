from django.urls import path

from ffs_portal.notices import views

app_name = "notices"

urlpatterns = [
    path("parents/<str:token>/", views.today, name="today"),
    path("parents/<str:token>/absence/", views.report_absence, name="absence"),
    path("parents/<str:token>/delegate/", views.name_delegate, name="delegate"),
    path("parents/<str:token>/incident/", views.acknowledge_incident, name="acknowledge"),
    path("parents/<str:token>/survey/", views.answer_survey, name="survey"),
    path("board/<int:site>/messages/", views.site_messages, name="site_messages"),
]
