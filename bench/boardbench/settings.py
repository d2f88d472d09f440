"""The portal's settings plus what the board's benchmarks need: a bench-only URLconf with a
bare view, a Server-Timing header on every response, and static files served from their
sources (no collectstatic)."""

from ffs_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.boardbench.urls"
DEBUG = False
MIDDLEWARE = ["bench.boardbench.middleware.ServerTiming", *MIDDLEWARE]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
