from django.conf import settings

from ffs_portal import access, kiosk


def portal(request):
    user = getattr(request, "user", None)
    return {
        "LANGUAGES_OFFERED": settings.LANGUAGES,
        "kiosk": kiosk.state(request),
        "can": {
            capability: access.can(user, capability)
            for capability in (
                access.MANAGE_FAMILIES,
                access.VIEW_FAMILIES,
                access.USE_BOARD,
                access.LEAD_SITE,
                access.VIEW_DASHBOARD,
                access.MANAGE_PROGRAM,
                access.VIEW_SPONSOR_REPORTS,
                access.MANAGE_PEOPLE,
            )
        }
        if user is not None
        else {},
    }
