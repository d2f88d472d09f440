from django.contrib import admin
from django.urls import include, path

from ffs_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("kiosk/exit/", views.kiosk_exit, name="kiosk_exit"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("families/", include("enrollment.urls")),
    path("program/", include("enrollment.program_urls")),
    path("training/", include("enrollment.training.urls")),
    path("staff/", include("staff.urls")),
    path("", include("attendance.urls")),
    path("", include("attendance.tablet.urls")),
    path("", include("ffs_portal.outcomes.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "ffs_portal.errors.permission_denied"
