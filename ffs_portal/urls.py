from django.contrib import admin
from django.urls import include, path

from ffs_portal import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("kiosk/exit/", views.kiosk_exit, name="kiosk_exit"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/login/code/", account_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/", account_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/codes/", account_views.two_factor_codes, name="two_factor_codes"),
    path(
        "accounts/two-factor/codes/new/",
        account_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("accounts/welcome/<token:token>/", account_views.invitation, name="invitation"),
    path("accounts/welcome/", account_views.invitation_accept, name="invitation_accept"),
    path("accounts/password/choose/", account_views.password_choose, name="password_choose"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("families/", include("enrollment.urls")),
    path("program/", include("enrollment.program_urls")),
    path("training/", include("enrollment.training.urls")),
    path("staff/", include("staff.urls")),
    path("people/", include("ffs_portal.people.urls")),
    path("retention/", include("ffs_portal.retention.urls")),
    path("", include("attendance.urls")),
    path("", include("attendance.tablet.urls")),
    path("", include("attendance.health.urls")),
    path("", include("ffs_portal.outcomes.urls")),
    path("", include("ffs_portal.notices.urls")),
    path("", include("ffs_portal.compliance.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "ffs_portal.errors.permission_denied"
