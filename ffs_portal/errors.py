from django.shortcuts import render


def permission_denied(request, exception=None):
    """403 in the user's language, saying what to do next."""
    return render(request, "403.html", status=403)
