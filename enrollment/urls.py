from django.urls import path

from enrollment import views
from enrollment.roster import views as roster

app_name = "enrollment"

urlpatterns = [
    path("", views.family_list, name="family_list"),
    path("import/", roster.roster_import, name="roster_import"),
    path("import/template/", roster.roster_template, name="roster_template"),
    path("import/<str:upload>/", roster.roster_import_preview, name="roster_import_preview"),
    path(
        "import/<str:upload>/confirm/", roster.roster_import_confirm, name="roster_import_confirm"
    ),
    path("export/", roster.roster_export, name="roster_export"),
]
