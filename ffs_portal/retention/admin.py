from django.contrib import admin

from ffs_portal.admin import ReadOnlyAdmin
from ffs_portal.retention.models import RetentionPolicy, RetentionRun


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["program", "months", "updated_at"]
    fields = ["program", "months"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "trigger", "status", "children", "families", "held", "failed"]
    list_filter = ["trigger", "status"]
    fields = [
        "day",
        "trigger",
        "status",
        "children",
        "families",
        "held",
        "failed",
        "started_at",
        "finished_at",
        "report",
    ]
