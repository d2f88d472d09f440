"""Refused attempts to reach another factory's data, logged after the request."""

from ffs_portal.access import OutOfScope
from ffs_portal.compliance import services


class RefusedAccessMiddleware:
    """Logs the 404s of the scoping rules (``access.OutOfScope``) when the object exists: who
    tried, which kind of record, from which page. The check runs only on such a 404, after
    the view's transaction has ended, so the normal path pays nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OutOfScope) and request.user.is_authenticated:
            match = request.resolver_match
            services.refused_access_record(
                user=request.user,
                model=exception.model,
                lookup=exception.lookup,
                page=match.view_name if match else "",
            )
        return None
