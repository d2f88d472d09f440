from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def preferred_language(request) -> str:
    """The user's own choice, then the language cookie, then Simplified Chinese.

    The browser's Accept-Language is not consulted: the portal is Chinese first, and a shared
    tablet or a borrowed laptop should not switch language by itself.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = preferred_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user hold children's data: keep them out of shared caches
    and out of a shared tablet's back-button history."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        return response
