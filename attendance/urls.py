from django.urls import path

from attendance import roll_call_views, views
from ffs_portal.outcomes import dashboard_views

app_name = "attendance"

child = "board/<int:site>/children/<uuid:child>/"
roll_call = "board/<int:site>/roll-call/<uuid:roll_call>/"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:site>/", views.site_board, name="site_board"),
    path("board/<int:site>/live/", views.board_live, name="board_live"),
    path("board/<int:site>/check-in/", views.check_in_many, name="check_in_many"),
    path("board/<int:site>/undo/", views.undo_check_in, name="undo_check_in"),
    path("board/<int:site>/scan/", views.scan, name="scan"),
    path("board/<int:site>/day-sheet/", views.day_sheet, name="day_sheet"),
    path("board/<int:site>/signatures/<int:record>/", views.signature, name="signature"),
    path("board/<int:site>/incidents/", views.incident_list, name="incident_list"),
    path(child, views.child_sheet, name="child_sheet"),
    path(child + "check-in/", views.check_in, name="check_in"),
    path(child + "check-out/", views.check_out, name="check_out"),
    path(child + "refuse/", views.refuse_pickup, name="refuse_pickup"),
    path(child + "absent/", views.mark_absent, name="mark_absent"),
    path(child + "not-absent/", views.clear_absence, name="clear_absence"),
    path(child + "incident/", views.incident_new, name="incident_new"),
    path(child + "calendar/", views.child_calendar, name="child_calendar"),
    path("incidents/<uuid:incident>/", views.incident_detail, name="incident_detail"),
    path("board/<int:site>/roll-call/", roll_call_views.roll_call, name="roll_call"),
    path(roll_call, roll_call_views.roll_call_detail, name="roll_call_detail"),
    path(roll_call + "live/", roll_call_views.roll_call_live, name="roll_call_live"),
    path(
        roll_call + "entries/<uuid:entry>/",
        roll_call_views.roll_call_mark,
        name="roll_call_mark",
    ),
    path(roll_call + "end/", roll_call_views.roll_call_end, name="roll_call_end"),
    path(roll_call + "log/", roll_call_views.roll_call_log, name="roll_call_log"),
    path("board/<int:site>/refused/", roll_call_views.refused_list, name="refused_list"),
    path("dashboard/", dashboard_views.program_dashboard, name="dashboard"),
    path("dashboard/daily-email/", views.digest_preview, name="digest_preview"),
    path("dashboard/daily-email/html/", views.digest_preview_html, name="digest_preview_html"),
]
