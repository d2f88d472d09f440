from django.shortcuts import render

from ffs_portal.access import USE_BOARD, requires


@requires(USE_BOARD)
def board(request):
    return render(request, "attendance/board.html", {})
