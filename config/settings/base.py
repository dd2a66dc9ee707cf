"""Settings shared by every environment. Everything that varies is read from the environment
through the one ``env`` reader below; README.md lists every variable."""

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to WhiteNoise too, so every mode
    # (DEBUG on or off, runserver or gunicorn) serves them the same way.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "cities",
    "evaluation",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the one chosen with the switch (cookie), else the browser's
    # Accept-Language, else LANGUAGE_CODE (Chinese).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A domain refusal no view caught is answered with its status and reasons, never 500.
    "evaluation.refusals.RefusalMiddleware",
    # Sign-ins and password resets: per account and per address together.
    "evaluation.throttling.SignInThrottleMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# django-axes must come first: it refuses a locked-out sign-in before any password is checked
# (it needs the request, so tests sign in with force_login or through the sign-in page).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins: after AXES_FAILURE_LIMIT failures for one user name from one address, that
# pair is locked out for AXES_COOLOFF_MINUTES (portal, admin and API token alike).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "cities/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "cities:login"
LOGIN_REDIRECT_URL = "cities:home"
LOGOUT_REDIRECT_URL = "cities:login"
# A session ends after SESSION_IDLE_MINUTES without a request (default 30), and when the
# browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# The CSRF token reaches forms and htmx through the page, never through JavaScript cookies.
CSRF_COOKIE_HTTPONLY = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides of library templates (docs pages served without a CDN).
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# The portal's dashboard prepares its one query per connection on PostgreSQL. Turn off
# (``false``) behind a connection pooler in transaction mode (PgBouncer without prepared
# statement support), which cannot keep a prepared statement for its client.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)


def database(default_url: str | None = None) -> dict[str, Any]:
    """``DATABASE_URL`` as a Django database; SQLite goes through ``config.db.sqlite3``."""
    config: dict[str, Any] = (
        env.db("DATABASE_URL")
        if default_url is None
        else env.db("DATABASE_URL", default=default_url)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "config.db.sqlite3"
    if config["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
        # psycopg's own default, which Django turns off: without it no statement can be
        # prepared. Django's cursors bind on the client and never prepare either way; only the
        # cursors that ask for it do (``config.db.prepared``).
        config.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
    config["ATOMIC_REQUESTS"] = False
    return config


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English too (README "Languages"). Dates and numbers follow the active
# language's formats (Django's own zh_Hans and en formats).
# The language when nothing else says (no cookie, no Accept-Language; emails and commands).
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The zone times are shown in (the admin, its history pages, the portal) and days are counted
# in (due dates, lateness, schedules): Beijing time unless a deployment says otherwise.
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# The project's own static files (vendored ECharts).
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
# Static files (the admin's, the API docs' Swagger UI and Redoc) are served by WhiteNoise in
# every mode. Locally they are found in the apps, so nothing needs collecting; production
# serves the compressed, hashed copies `collectstatic` makes (README).
WHITENOISE_USE_FINDERS = True
# Until `collectstatic` has run, STATIC_ROOT does not exist; WhiteNoise need not say so.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)


def evidence_storage(default_static: str) -> dict[str, dict[str, object]]:
    """The storages: files of evidence (佐证材料) under MEDIA_ROOT by default (the embedded
    set-up), or in an S3-compatible bucket when ``EVIDENCE_S3_BUCKET`` is set (production),
    reached with ``EVIDENCE_S3_ENDPOINT_URL`` (empty: AWS), ``EVIDENCE_S3_REGION``,
    ``EVIDENCE_S3_ACCESS_KEY_ID`` and ``EVIDENCE_S3_SECRET_ACCESS_KEY``. Never public: the
    bucket's objects are private and a download is a presigned link that lives
    ``EVIDENCE_LINK_SECONDS``, handed out only after the access check."""
    evidence: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    bucket = env.str("EVIDENCE_S3_BUCKET", default="")
    if bucket:
        evidence = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default="") or None,
                "region_name": env.str("EVIDENCE_S3_REGION", default="") or None,
                "access_key": env.str("EVIDENCE_S3_ACCESS_KEY_ID", default="") or None,
                "secret_key": env.str("EVIDENCE_S3_SECRET_ACCESS_KEY", default="") or None,
                "default_acl": "private",
                "querystring_auth": True,
                "signature_version": "s3v4",
                "querystring_expire": env.int("EVIDENCE_LINK_SECONDS", default=300),
                "file_overwrite": False,
            },
        }
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": default_static},
        "evidence": evidence,
    }


STORAGES = evidence_storage("django.contrib.staticfiles.storage.StaticFilesStorage")
# Documents built from runs (scorecards, rankings, decision records) are kept here and served
# only through the reports' access-checked views: never give this directory a public URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery. With no broker configured the embedded default runs tasks in-process (eagerly), so a
# new user needs no Redis; production and CI set CELERY_BROKER_URL and run real workers.
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Task outcomes are recorded in the application's own tables (EvaluationRun), not in a result
# backend.
CELERY_TASK_IGNORE_RESULT = True
# Workers consume this queue (``celery worker -Q``); the integration tests use their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this long: keep it above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
}
CELERY_TIMEZONE = TIME_ZONE
# Schedules live in the database (editable in the admin); `manage.py setup_schedules` installs
# the ones defined in evaluation/schedules.py. Run exactly one beat process.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


def upload_limits(variable: str, default: str) -> dict[str, int]:
    """``UPLOAD_LIMITS_<POINT>``: "MB,rows,MB unpacked", e.g. "2,10000,20"."""
    megabytes, rows, unpacked = (
        float(part) for part in env.str(variable, default=default).split(",")
    )
    return {"bytes": int(megabytes * 2**20), "rows": int(rows), "unpacked": int(unpacked * 2**20)}


# How large a file each upload point takes, checked before a file is parsed (README,
# Configuration): a city's own uploads (portal and API) are small; the ministry's loads (admin,
# commands) carry a whole programme (300 cities x 10 indicators x 48 months is 144,000 rows).
UPLOAD_LIMITS = {
    "portal": upload_limits("UPLOAD_LIMITS_PORTAL", "2,10000,20"),
    "api": upload_limits("UPLOAD_LIMITS_API", "2,10000,20"),
    "admin": upload_limits("UPLOAD_LIMITS_ADMIN", "20,200000,200"),
    "command": upload_limits("UPLOAD_LIMITS_COMMAND", "20,200000,200"),
}
# A refused file lists at most this many errors, then says how many more there are.
UPLOAD_ERRORS_SHOWN = env.int("UPLOAD_ERRORS_SHOWN", default=100)

# Reminders to city officials about their reports: this many days before the due date, and once
# on the first days after it (not for periods overdue for longer than the window).
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)
REMINDER_OVERDUE_WINDOW_DAYS = env.int("REMINDER_OVERDUE_WINDOW_DAYS", default=7)
# Rectification (整改): a file of evidence a city attaches to its answer is at most this large.
# The rectification reminders use the two windows above.
RECTIFICATION_EVIDENCE_MAX_MB = env.int("RECTIFICATION_EVIDENCE_MAX_MB", default=10)
# Evidence on a report and its values (佐证材料): each file at most EVIDENCE_MAX_FILE_MB, the
# report's files together at most EVIDENCE_MAX_REPORT_MB; a download link to a file in a bucket
# lives EVIDENCE_LINK_SECONDS.
EVIDENCE_MAX_FILE_MB = env.float("EVIDENCE_MAX_FILE_MB", default=10)
EVIDENCE_MAX_REPORT_MB = env.float("EVIDENCE_MAX_REPORT_MB", default=50)
EVIDENCE_LINK_SECONDS = env.int("EVIDENCE_LINK_SECONDS", default=300)
# Email: the console by default; SMTP with e.g. EMAIL_URL=smtp+tls://user:pass@host:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="evaluation@localhost")

# A run is scored in chunks of cities, one task each, shared by the workers. 0 (the default):
# the size is chosen for the workers, EVALUATION_CHUNKS_PER_WORKER chunks for each of the
# EVALUATION_WORKERS worker processes (the workers' total concurrency), within
# EVALUATION_CHUNK_MIN..EVALUATION_CHUNK_MAX cities a chunk. A positive number fixes the size.
EVALUATION_CHUNK_SIZE = env.int("EVALUATION_CHUNK_SIZE", default=0)
EVALUATION_WORKERS = env.int("EVALUATION_WORKERS", default=2)
EVALUATION_CHUNKS_PER_WORKER = env.int("EVALUATION_CHUNKS_PER_WORKER", default=2)
EVALUATION_CHUNK_MIN = env.int("EVALUATION_CHUNK_MIN", default=25)
EVALUATION_CHUNK_MAX = env.int("EVALUATION_CHUNK_MAX", default=1000)
# Whether the database has a core the workers leave free while they score (a single worker,
# or a database on a machine of its own). On PostgreSQL a chunk then reads its first part of
# cities small, so that its sums come back sooner, and writes each part's results while it
# scores the next (the database writes them and checks their keys meanwhile). Both cost more
# in all than they save when every core is busy scoring: more queries, and the writes more
# than one COPY at the end. By default on for a single worker (EVALUATION_WORKERS 1).
EVALUATION_OVERLAP_DATABASE = env.bool(
    "EVALUATION_OVERLAP_DATABASE", default=EVALUATION_WORKERS == 1
)
# Programmes with at most this many cities have their documents built in the request; larger
# ones, and every-city bundles, are built by a Celery task with progress shown.
REPORTS_INLINE_CITIES = env.int("REPORTS_INLINE_CITIES", default=30)
# How long `manage.py evaluate` waits for a worker to finish the run it queued.
EVALUATION_WAIT_SECONDS = env.int("EVALUATION_WAIT_SECONDS", default=600)
# Every run ends. A queued or running run with no sign of progress for this long is looked
# after by the sweep (re-queued, or failed with its reason); keep it above the longest chunk.
EVALUATION_STALL_SECONDS = env.int("EVALUATION_STALL_SECONDS", default=120)
# How often beat runs the sweep (installed by `setup_schedules`).
EVALUATION_SWEEP_SECONDS = env.int("EVALUATION_SWEEP_SECONDS", default=30)
# A chunk (or a run's start) begun this many times without being stored fails the run.
EVALUATION_MAX_DELIVERIES = env.int("EVALUATION_MAX_DELIVERIES", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens (for provincial systems) first, so a request without credentials is told how
        # to authenticate (401 with WWW-Authenticate: Token); session authentication enforces
        # CSRF on writes.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "evaluation.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["evaluation.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "evaluation.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "evaluation.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["evaluation.api.throttles.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "writes": env.str("THROTTLE_WRITES", default="120/min"),
    },
}
# Signing in (portal, admin, API token) and asking for a password reset are counted per account
# and per address together (evaluation/throttling.py): the account's rate stops guessing one
# password or flooding one mailbox; the address's is high enough for a gateway's officials.
THROTTLE_SIGN_IN_ACCOUNT = env.str("THROTTLE_SIGN_IN_ACCOUNT", default="10/min")
THROTTLE_SIGN_IN_ADDRESS = env.str("THROTTLE_SIGN_IN_ADDRESS", default="100/min")
THROTTLE_PASSWORD_RESET_ACCOUNT = env.str("THROTTLE_PASSWORD_RESET_ACCOUNT", default="3/hour")
THROTTLE_PASSWORD_RESET_ADDRESS = env.str("THROTTLE_PASSWORD_RESET_ADDRESS", default="20/hour")

# API tokens (django-rest-knox): stored hashed, expiring this many days after they are issued.
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Key-city IP operation services: performance evaluation API",
    "DESCRIPTION": "City officials report their city's figures; ministry reviewers review "
    "them, run evaluations and sign off tranche decisions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs are served from this server, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DecisionEnum": "evaluation.models.TrancheDecision.Decision",
        "RuleKindEnum": "evaluation.models.RuleKind",
        "RunKindEnum": "evaluation.models.EvaluationRun.Kind",
        "ExpenditureStatusEnum": "evaluation.models.Expenditure.Status",
    },
}

# The portal's address as officials reach it, for the links in emails (reminders, reviews).
PORTAL_URL = env.str("PORTAL_URL", default="http://localhost:8000")
# Pages drawn once and served again while what they show is unchanged (the portal's "where we
# stand"). Their keys say what they were drawn from, so a copy can never be out of date and each
# process may keep its own, in memory, nearer than Redis; the timeout only bounds the memory.
PORTAL_PAGE_CACHE_SECONDS = env.int("PORTAL_PAGE_CACHE_SECONDS", default=600)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": PORTAL_PAGE_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
