from django.shortcuts import render
from django.utils import timezone

from enrollment.models import Factory
from enrollment.training import selectors as training_selectors
from ffs_portal import access
from ffs_portal.access import USE_BOARD, VIEW_DASHBOARD, requires


@requires(USE_BOARD)
def board(request):
    return render(request, "attendance/board.html", {})


@requires(VIEW_DASHBOARD)
def dashboard(request):
    year = timezone.localdate().year
    reach = training_selectors.reach(access.scoped(request.user, Factory), year)
    return render(
        request,
        "attendance/dashboard.html",
        {"reach": reach, "reach_total": training_selectors.total(reach), "year": year},
    )
