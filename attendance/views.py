from django.shortcuts import render

from ffs_portal.access import USE_BOARD, VIEW_DASHBOARD, requires


@requires(USE_BOARD)
def board(request):
    return render(request, "attendance/board.html", {})


@requires(VIEW_DASHBOARD)
def dashboard(request):
    return render(request, "attendance/dashboard.html", {})
