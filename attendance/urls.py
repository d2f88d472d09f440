from django.urls import path

from attendance import views
from outcomes import dashboard_views

app_name = "attendance"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("dashboard/", dashboard_views.program_dashboard, name="dashboard"),
]
