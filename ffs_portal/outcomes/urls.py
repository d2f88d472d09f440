from django.urls import path

from ffs_portal.outcomes import dashboard_views, views

app_name = "outcomes"

urlpatterns = [
    path("dashboard/factories/", dashboard_views.factory_comparison, name="factory_comparison"),
    path("dashboard/factories/<int:factory>/", dashboard_views.factory_dashboard, name="factory"),
    path("dashboard/sites/<int:site>/", dashboard_views.site_dashboard, name="site"),
    path("dashboard/export/", dashboard_views.export, name="export"),
    path("dashboard/years/", views.program_years, name="program_years"),
    path("dashboard/years/save/", views.program_year_save, name="program_year_save"),
    path("dashboard/retention/", views.retention, name="retention"),
    path("sponsors/", views.sponsor_list, name="sponsor_list"),
    path("sponsors/new/", views.sponsor_edit, name="sponsor_create"),
    path("sponsors/<int:sponsor>/", views.sponsor_edit, name="sponsor_edit"),
    path(
        "sponsors/<int:sponsor>/sponsorships/new/",
        views.sponsorship_add,
        name="sponsorship_add",
    ),
    path(
        "sponsorships/<int:sponsorship>/remove/",
        views.sponsorship_remove,
        name="sponsorship_remove",
    ),
    path("sponsors/<int:sponsor>/logins/new/", views.sponsor_login_add, name="sponsor_login_add"),
    path(
        "sponsors/<int:sponsor>/logins/<int:login>/off/",
        views.sponsor_login_deactivate,
        name="sponsor_login_deactivate",
    ),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:sponsor>/<int:year>/", views.sponsor_report, name="sponsor_report"),
    path("survey/<token:survey>/", views.survey_kiosk, name="survey_kiosk"),
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/<int:term>/<uuid:family>/", views.survey_paper, name="survey_paper"),
    path("surveys/start/<int:site>/<uuid:child>/", views.survey_start, name="survey_start"),
]
