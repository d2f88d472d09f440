"""Settings for FFS Portal, read from the environment.

With nothing set, the portal runs on an embedded default that needs nothing installed by
hand: SQLite, Celery over kombu's on-disk transport, e-mails written to files. Set
DATABASE_URL and REDIS_URL to use PostgreSQL and Redis. README.md lists every variable.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Everything the portal writes at run time (SQLite file, uploads, mail, Celery queue).
VAR_DIR = Path(env("FFS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Served over HTTPS: production.
HTTPS = env_bool("DJANGO_HTTPS", False)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY; production refuses to start without it. The embedded default keeps
    a random key of its own in var/, made the first time: never one that is public."""
    from django.core.exceptions import ImproperlyConfigured

    key = env("DJANGO_SECRET_KEY")
    if key:
        return key
    if HTTPS:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    import secrets
    import time

    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # Only one of several processes starting at once creates it; the others read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.1)
        raise ImproperlyConfigured(f"{path} is empty: delete it and start again.") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The address of the portal as users reach it, for links in e-mails.
PORTAL_URL = env("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ffs_portal",
    "enrollment",
    "enrollment.training",
    "attendance",
    "attendance.tablet",
    "attendance.health",
    "staff",
    "ffs_portal.outcomes",
    "ffs_portal.people",
    "ffs_portal.notices",
    "ffs_portal.retention",
    "ffs_portal.compliance",
    "ffs_portal.demo",
]

MIDDLEWARE = [
    # Before anything reads the session or the database: a request nobody waits for any more.
    "ffs_portal.middleware.QueueTimeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ffs_portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A registered shared tablet: its idle lock and what a PIN opens (attendance/tablet).
    "attendance.tablet.middleware.TabletMiddleware",
    # Every view needs a signed-in user unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A session without the second factor its account needs, or whose password someone else
    # chose, reaches only the pages that put that right (ffs_portal/two_factor.py).
    "ffs_portal.middleware.AccountStateMiddleware",
    "ffs_portal.middleware.UserLanguageMiddleware",
    # A tablet handed to a parent for a survey goes nowhere else (ffs_portal/kiosk.py).
    "ffs_portal.kiosk.KioskMiddleware",
    "ffs_portal.middleware.RequestSizeLimitMiddleware",
    "ffs_portal.middleware.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ffs_portal.middleware.NoStoreForSignedInMiddleware",
    # Last, so that it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
    # Logs the scoping rules' 404s (a view's exception reaches the last middleware first).
    "ffs_portal.compliance.middleware.RefusedAccessMiddleware",
]

ROOT_URLCONF = "ffs_portal.urls"
WSGI_APPLICATION = "ffs_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ffs_portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ffs_portal.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the embedded default: let the web process and the Celery worker share it.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "ffs_portal.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend reading the signed-in user in one prepared statement.
    "ffs_portal.backends.PortalBackend",
    # Sessions begun before it still name Django's own.
    "django.contrib.auth.backends.ModelBackend",
]
SESSION_ENGINE = "ffs_portal.sessions"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A shared tablet in a childcare space: sign out after a working day.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 60 * 60)))
# How long the tablet waits before each new try of an act whose answer was lost (ms): about
# 45 s in all, then the tile says "not saved" and the worker taps again.
# The morning health check: the signs the staff tick (codes of attendance.health.models), and
# the outbreak watch's rule: this many children of one site with the same sign within so
# many days.
HEALTH_CHECK_SIGNS = env_list("HEALTH_CHECK_SIGNS", "fever,rash,blisters,red_eyes,cough,injury")
HEALTH_OUTBREAK_CHILDREN = int(env("HEALTH_OUTBREAK_CHILDREN", "3"))
HEALTH_OUTBREAK_DAYS = int(env("HEALTH_OUTBREAK_DAYS", "3"))
BOARD_RETRY_BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 15000]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Two-factor sign-in (django-otp): the name authenticator apps show beside the code, and the
# pause after each wrong code, doubling each time (1 s, 2 s, 4 s, …).
OTP_TOTP_ISSUER = "FFS Portal"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# How long a password checked at sign-in waits for its second factor.
TWO_FACTOR_PENDING_SECONDS = 10 * 60

# Sign-in throttling (ffs_portal.login_throttling), over the failures of the cool-off period:
# a user name is locked after AXES_FAILURE_LIMIT failures from any addresses, and an address
# after AXES_ADDRESS_FAILURE_LIMIT failures on any user names, each for AXES_COOLOFF_TIME.
# The address's limit is higher because a factory's HR, site leads and childcare workers
# may all reach the portal through one address: a dozen people may each mistype a couple of
# times at the start of a shift, while spraying a password over many accounts stays slow.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(env("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "ffs_portal.login_throttling.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "ffs_portal.login_throttling.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# User names are matched ignoring case, so their failures are counted ignoring case too.
AXES_USERNAME_CALLABLE = "ffs_portal.login_throttling.username_of"
AXES_HTTP_RESPONSE_CODE = 429  # axes' own default, named here for the lock-out page
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The admin shows the failures read-only (ffs_portal/admin.py), not axes' own editable pages.
AXES_ENABLE_ADMIN = False
# Axes keeps the POSTed fields of a failure; the settings page's password check is one too.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "current_password"]
# Reverse proxies in front of the portal that append to X-Forwarded-For. With 0 the header is
# ignored (a client could write anything in it); see ffs_portal.lib.client_address. Axes'
# own proxy settings need django-ipware; the variable keeps its name for existing set-ups.
TRUSTED_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "ffs_portal.lib.client_address.client_address"

# Languages: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
# Each language is named in itself.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["ffs_portal.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "ffs_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed from the npm registry at set-up (package-lock.json), served by the portal.
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/jsqr", NODE_MODULES / "jsqr" / "dist"),
    # The tablet app: its offline outbox (IndexedDB) and its service worker's modules.
    ("vendor/idb", NODE_MODULES / "idb" / "build"),
    *(
        (f"vendor/{module}", NODE_MODULES / module / "build")
        for module in (
            "workbox-sw",
            "workbox-core",
            "workbox-routing",
            "workbox-strategies",
            "workbox-expiration",
        )
    ),
]
# Uploads (children's photos) are private: served only through views that check access.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Roster spreadsheets and photos larger than this are refused with a message.
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
# A request carries one upload and a form around it; anything larger is refused unread.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: SMTP when EMAIL_HOST is set, otherwise one file per message under var/mail.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# Messages to families (ffs_portal/notices): "file" writes each one under var/messages;
# "sms" sends through Tencent Cloud SMS, "wecom" through WeCom's API.
NOTICE_BACKEND = env("NOTICE_BACKEND", "file")
NOTICE_FILE_PATH = VAR_DIR / "messages"
TENCENT_SMS = {
    "endpoint": env("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com"),
    "region": env("TENCENT_SMS_REGION", "ap-guangzhou"),
    "secret_id": env("TENCENT_SMS_SECRET_ID"),
    "secret_key": env("TENCENT_SMS_SECRET_KEY"),
    "sdk_app_id": env("TENCENT_SMS_SDK_APP_ID"),
    "sign_name": env("TENCENT_SMS_SIGN_NAME"),
    # The approved template of each kind of message: "collected=1234567,incident=...".
    "templates": dict(
        item.split("=", 1) for item in env("TENCENT_SMS_TEMPLATES").split(",") if "=" in item
    ),
}
WECOM = {
    "api": env("WECOM_API", "https://qyapi.weixin.qq.com"),
    "corp_id": env("WECOM_CORP_ID"),
    "secret": env("WECOM_SECRET"),
    "agent_id": env("WECOM_AGENT_ID"),
}
# A request that waited longer than this in the proxy's queue (its X-Request-Start header) is
# answered 503 at once: the tablet gives up on an answer after 10 s and sends the act again.
# 0 turns it off.
REQUEST_QUEUE_LIMIT_SECONDS = float(env("REQUEST_QUEUE_LIMIT_SECONDS", "8"))
# The board's own refresh gives way sooner: another comes five seconds later.
POLL_QUEUE_LIMIT_SECONDS = float(env("POLL_QUEUE_LIMIT_SECONDS", "1.5"))
# How long a parent's link to their page works.
PARENT_LINK_DAYS = 30

# How long a worker holds a daily e-mail it claimed; past it the beat takes the run back
# (longer than the sending task's time limit, so a live worker never loses its run).
DIGEST_LEASE_SECONDS = int(env("DIGEST_LEASE_SECONDS", "300"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "FFS Portal <noreply@ffs-portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/.
REDIS_URL = env("REDIS_URL")
CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str | int | bool] = {"visibility_timeout": 60 * 60}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# A request must never wait long on a broker that is down: fail fast, the caller decides.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # After every space has closed, before anyone opens (Asia/Shanghai).
    "attendance-close-forgotten-check-outs": {
        "task": "attendance.tasks.close_forgotten_check_outs",
        "schedule": crontab(hour=3, minute=10),
    },
    # Each recipient's hour is checked in their own time zone; a run row per recipient and
    # day keeps an e-mail from going twice.
    "attendance-queue-due-digests": {
        "task": "attendance.tasks.queue_due_digests",
        "schedule": crontab(minute="*/5"),
    },
    "attendance-alert-still-checked-in": {
        "task": "attendance.tasks.alert_still_checked_in",
        "schedule": crontab(minute="*/5"),
    },
    # The outbreak watch runs after each check that saw a sign; this catches any check whose
    # watch could not be queued (the broker was down).
    "health-watch-todays-outbreaks": {
        "task": "attendance.health.tasks.watch_todays_outbreaks",
        "schedule": crontab(minute="*/30"),
    },
    "staff-minutes-over-ratio-today": {
        "task": "staff.tasks.record_minutes_over_ratio",
        "schedule": crontab(minute="*/15"),
    },
    "staff-minutes-over-ratio-yesterday": {
        "task": "staff.tasks.record_yesterdays_minutes_over_ratio",
        "schedule": crontab(hour=2, minute=40),
    },
    "attendance-forget-action-keys": {
        "task": "attendance.tasks.forget_action_keys",
        "schedule": crontab(hour=3, minute=20),
    },
    # Parents of children on the day's list who have not arrived as usual.
    "attendance-tell-parents-not-arrived": {
        "task": "attendance.tasks.tell_parents_not_arrived",
        "schedule": crontab(minute="*/5"),
    },
    # Parents of children not collected a quarter of an hour after closing.
    "attendance-tell-parents-not-collected": {
        "task": "attendance.tasks.tell_parents_not_collected",
        "schedule": crontab(minute="*/5"),
    },
    # Messages to families written by the day's acts: handed to a worker within seconds.
    "notices-hand-over-queued": {
        "task": "notices.tasks.hand_over_queued",
        "schedule": 10.0,
    },
    # Past days' figures for the dashboards, once the night's attendance jobs are done.
    "outcomes-close-past-days": {
        "task": "attendance.outcomes.tasks.close_past_days",
        "schedule": crontab(hour=3, minute=40),
    },
    # Children whose retention period has run out are anonymised, once a night: the run row
    # of the day is claimed, so a second beat does nothing.
    "retention-anonymise-due-children": {
        "task": "retention.tasks.anonymise_due_children",
        "schedule": crontab(hour=4, minute=10),
    },
}

# Everything comes from the portal itself; no inline script or style. Bootstrap draws some
# icons from data: URIs; the card scanner shows the camera through a blob.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# The tablet reads children's cards with its camera; nothing else is asked of the device.
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), "
    "display-capture=(), interest-cohort=()"
)

# The cache holds the password-reset throttle's counters (ffs_portal.lib.throttle), which every
# web process must share: Redis when REDIS_URL is set. The embedded default serves from one
# process, whose own memory is enough.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ffs_portal.lib.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ffs-portal",
            # Fail fast, as with the broker: the throttle refuses when it cannot count.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Security: on when the portal is served over HTTPS (production).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
