"""Django's admin, for administrators: read-only pages of the operational records (the audit
trail, the daily e-mail runs with "send again", sign-in lock-outs). People are managed on the
people pages and everything else on the portal's own pages. Signing in to the admin goes
through the portal's sign-in, with its second factor."""

from functools import partial

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from attendance.models import DigestRun, DigestStatus
from ffs_portal.models import AuditEntry

admin.site.site_header = _("FFS Portal administration")
admin.site.site_title = _("FFS Portal")
admin.site.index_title = _("Records")


def _portal_login(request, extra_context=None):
    """The admin's own sign-in page would skip the second factor: use the portal's. Someone
    signed in without the administrator's role is refused rather than sent round in circles."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin.site.login = _portal_login  # type: ignore[method-assign]  # the one sign-in page

# Groups are not used (roles are), and authenticator secrets are nobody's to read.
for model in (Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are written by the portal only; here they are read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "person", "factory"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "person__username"]
    date_hierarchy = "at"
    list_select_related = ["actor", "person", "factory"]
    # Who a child or a family is stays on the portal's own pages, where access is scoped.
    fields = ["at", "action", "actor", "person", "factory", "details"]


@admin.register(AccessAttempt)
class SignInFailuresAdmin(ReadOnlyAdmin):
    """Failed sign-ins by user name and address, the lock-outs' counts. A lock-out is cleared
    on the person's page, where it is recorded, not by deleting rows here."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "path_info"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
    # What was typed stays out of sight, masked or not.
    fields = [
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
    ]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "recipient", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "day"]
    search_fields = ["recipient__username", "recipient__email"]
    date_hierarchy = "day"
    list_select_related = ["recipient"]
    actions = ["send_again"]

    @admin.action(description=_("Send again"))
    def send_again(self, request, queryset):
        """Hand the chosen runs to a worker once more, whatever their state: someone decided
        to (an e-mail perhaps sent, "unknown", is never resent by itself)."""
        from ffs_portal.outcomes.tasks import send_digest

        with transaction.atomic():
            runs = list(queryset.select_for_update().values_list("pk", flat=True))
            DigestRun.objects.filter(pk__in=runs).update(
                status=DigestStatus.FAILED, last_error=f"sent again by {request.user.username}"
            )
            for run in runs:
                transaction.on_commit(partial(send_digest.delay, run), robust=True)
        self.message_user(
            request,
            _("%(count)s daily e-mails handed to a worker to send again.") % {"count": len(runs)},
            messages.SUCCESS,
        )
