from django.urls import path

from enrollment import program_views as views

app_name = "program"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("factories/new/", views.factory_edit, name="factory_create"),
    path("factories/<int:factory>/", views.factory_edit, name="factory_edit"),
    path("factories/<int:factory>/sites/new/", views.site_edit, name="site_create"),
    path("sites/<int:site>/", views.site_edit, name="site_edit"),
    path("sites/<int:site>/terms/new/", views.term_edit, name="term_create"),
    path("terms/<int:term>/", views.term_edit, name="term_edit"),
]
