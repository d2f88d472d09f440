from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
