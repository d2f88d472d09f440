from django.shortcuts import render

from enrollment.models import Family
from ffs_portal import access
from ffs_portal.access import VIEW_FAMILIES, requires


@requires(VIEW_FAMILIES)
def family_list(request):
    families = access.scoped(request.user, Family)
    return render(request, "enrollment/family_list.html", {"families": families})
