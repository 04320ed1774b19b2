"""Django settings for Lianke CRM.

Everything an operator changes comes from the environment (twelve-factor):

- ``LIANKE_DATA_DIR``: where the SQLite database, uploaded files and the generated secret key live
  (default ``./var``).
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/lianke``; default: SQLite in the data dir.
- ``LIANKE_SECRET_KEY``: generated once and kept in the data dir when absent.
- ``LIANKE_DEBUG``: ``1`` for development.
- ``LIANKE_ALLOWED_HOSTS``: comma-separated; default ``127.0.0.1,localhost``.
- ``LIANKE_SECURE``: ``1`` behind HTTPS (secure cookies, HSTS, SSL redirect).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("LIANKE_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("LIANKE_SECRET_KEY"):
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("LIANKE_DEBUG")
SECURE = _env_bool("LIANKE_SECURE")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("LIANKE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LIANKE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tasks_db",
    "axes",
    "lianke.core",
    "lianke.org",
    "lianke.customers",
    "lianke.marketing",
    "lianke.sales",
    "lianke.activities",
    "lianke.pools",
    "lianke.outbox",
    "lianke.notifications",
    "lianke.jobs",
    "lianke.approvals",
    "lianke.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "lianke.core.middleware.RequestContextMiddleware",
    "lianke.core.middleware.DatabaseBusyMiddleware",  # "database is locked" → 503 + Retry-After
]

ROOT_URLCONF = "lianke.urls"
WSGI_APPLICATION = "lianke.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lianke.core.context_processors.navigation",
                "lianke.pools.context_processors.navigation",
                "lianke.notifications.context_processors.navigation",
                "lianke.approvals.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATA_DIR.mkdir(parents=True, exist_ok=True)
_default_db = f"sqlite:///{DATA_DIR / 'lianke.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and a worker write at once; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock; the busy timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # Tests use a WAL file too (pytest-django adds a suffix per worker): the shared-cache
    # in-memory default locks whole tables, unlike the product's database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's widget templates, with the plain widgets written out in Python (the same HTML, faster).
FORM_RENDERER = "lianke.core.formrender.Renderer"
# Covering indexes (INCLUDE) serve PostgreSQL's index-only scans; SQLite builds the same index
# from its key columns, which is what it can use anyway.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "lianke.org.security.IPFailureLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = int(os.environ.get("LIANKE_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 0.25  # hours
# A (username, IP) pair is locked after AXES_FAILURE_LIMIT failures; an IP, whatever the
# usernames, after LIANKE_LOGIN_IP_FAILURE_LIMIT (lianke.org.security).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LIANKE_LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LIANKE_LOGIN_IP_FAILURE_LIMIT", "100"))
# How many reverse proxies stand in front of Lianke: 0 (default) ignores X-Forwarded-For.
LIANKE_TRUSTED_PROXIES = int(os.environ.get("LIANKE_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "lianke.org.security.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = _env_bool("LIANKE_LOGIN_THROTTLE", True)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("LIANKE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Number formats Chinese business software uses (1,234,567.00), over Django's zh-Hans ones.
FORMAT_MODULE_PATH = ["lianke.formats"]
TIME_ZONE = os.environ.get("LIANKE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static & media -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # lianke/static: app.css/js and the vendored assets
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
LIANKE_MAX_ATTACHMENT_BYTES = int(os.environ.get("LIANKE_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
LIANKE_RECYCLE_BIN_DAYS = int(os.environ.get("LIANKE_RECYCLE_BIN_DAYS", "90"))
# Home page: an account of one's own with no activity for this many days is "to follow up today".
LIANKE_FOLLOW_UP_DAYS = int(os.environ.get("LIANKE_FOLLOW_UP_DAYS", "14"))
# Exports of more rows than this are refused until approved (the data-protection audit records
# every export and refusal: core.views.objects.ObjectExportView, org.audit). 0 = no approval needed.
LIANKE_EXPORT_APPROVAL_ROWS = int(os.environ.get("LIANKE_EXPORT_APPROVAL_ROWS", "5000"))
# An approved large export may be run once within this many hours.
LIANKE_EXPORT_APPROVAL_HOURS = int(os.environ.get("LIANKE_EXPORT_APPROVAL_HOURS", "24"))
# Bulk actions commit this many records per transaction (core.records.services.run_in_chunks): SQLite
# has one write lock for everybody, so a bulk edit of 1,000 rows must not hold it for seconds;
# 0 = one transaction (PostgreSQL's default: row locks, all or nothing).
LIANKE_BULK_CHUNK = int(
    os.environ.get("LIANKE_BULK_CHUNK", "200" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "0")
)
# Batch writes (core.records.batch.create_in_batches): rows per transaction, and how many batches run at
# once on their own connections (PostgreSQL; SQLite has one writer and runs them one by one).
LIANKE_BATCH_SIZE = int(os.environ.get("LIANKE_BATCH_SIZE", "5000"))
LIANKE_BATCH_WORKERS = int(os.environ.get("LIANKE_BATCH_WORKERS", "2"))

# --- Background tasks (Django's tasks framework, database backend) -------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Outgoing requests and the outbox (lianke.core.outgoing, lianke.outbox) ------------------
# Private networks the product may call (an ERP on the LAN): comma-separated CIDRs, addresses,
# host names. Link-local and cloud metadata addresses are refused whatever this says.
LIANKE_OUTGOING_ALLOW = [
    e.strip() for e in os.environ.get("LIANKE_OUTGOING_ALLOW", "").split(",") if e.strip()
]
LIANKE_OUTGOING_TIMEOUT = float(os.environ.get("LIANKE_OUTGOING_TIMEOUT", "10"))
# Deliveries: the first retry after LIANKE_OUTBOX_RETRY_SECONDS, doubling, capped at an hour;
# after LIANKE_OUTBOX_MAX_ATTEMPTS attempts a message is dead (retry it by hand).
LIANKE_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("LIANKE_OUTBOX_MAX_ATTEMPTS", "8"))
LIANKE_OUTBOX_RETRY_SECONDS = float(os.environ.get("LIANKE_OUTBOX_RETRY_SECONDS", "10"))
LIANKE_OUTBOX_RETRY_CAP_SECONDS = float(os.environ.get("LIANKE_OUTBOX_RETRY_CAP_SECONDS", "3600"))
# Delivered messages are deleted after this many days (the worker's hourly tick).
LIANKE_OUTBOX_KEEP_DAYS = int(os.environ.get("LIANKE_OUTBOX_KEEP_DAYS", "30"))

# --- REST API -------------------------------------------------------------------------------
# The OpenAPI schema (``/api/schema/``) and its docs page (``/api/docs/``) need sign-in unless the
# operator publishes them (they list every field of every type, custom fields included).
LIANKE_API_DOCS_PUBLIC = _env_bool("LIANKE_API_DOCS_PUBLIC")

# --- E-mail (notifications) --------------------------------------------------------------------
# Django's mailers from the environment; without LIANKE_EMAIL_HOST mail is written to the log
# (console backend), so nothing is sent by accident. LIANKE_BASE_URL (https://crm.example.com)
# makes the links in mails absolute.
if os.environ.get("LIANKE_EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["LIANKE_EMAIL_HOST"],
                "port": int(os.environ.get("LIANKE_EMAIL_PORT", "587")),
                "username": os.environ.get("LIANKE_EMAIL_USER", ""),
                "password": os.environ.get("LIANKE_EMAIL_PASSWORD", ""),
                "use_tls": _env_bool("LIANKE_EMAIL_TLS", not _env_bool("LIANKE_EMAIL_SSL")),
                "use_ssl": _env_bool("LIANKE_EMAIL_SSL"),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("LIANKE_EMAIL_FROM", "Lianke CRM <noreply@localhost>")
LIANKE_BASE_URL = os.environ.get("LIANKE_BASE_URL", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lianke.org.authentication.ApiTokenAuthentication",  # hashed, named, scoped (org.tokens)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "lianke.core.api.parsers.JSONParser",  # a too deeply nested body is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "lianke.core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lianke.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lianke CRM API",
    "DESCRIPTION": "REST API of Lianke CRM. Every endpoint applies the caller's data scope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["lianke.core.api.schema.DocsReaders"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two "status" choice sets in the approvals' schema: an approval's and each approver's task.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalStatusEnum": "lianke.approvals.models.Status",
        "ApprovalTaskStatusEnum": "lianke.approvals.models.TaskStatus",
        # an account's source appears in several components (read, create answer, request, patch)
        "AccountSourceEnum": "lianke.customers.choices.AccountSource",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lianke.core.api.schema.document_errors",
    ],
}

# --- Logging --------------------------------------------------------------------------------
# Routine refusals and missing pages (4xx) are one line each; server errors keep their traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_client_errors": {"()": "lianke.core.logs.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"filters": ["one_line_client_errors"]},
        # A duplicate check that met a record out of the asker's reach (core.text.identity).
        "lianke.identity": {"level": "INFO"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LIANKE_LOG_LEVEL", "WARNING")},
}

# --- Scheduled jobs (lianke.jobs) ---------------------------------------------------------------
# A run starting later than this after its scheduled time is recorded as a catch-up.
LIANKE_JOBS_GRACE_SECONDS = int(os.environ.get("LIANKE_JOBS_GRACE_SECONDS", "300"))
# A run still "running" after this long lost its worker: it is recorded as failed, and the
# schedule runs again.
LIANKE_JOBS_LEASE_SECONDS = int(os.environ.get("LIANKE_JOBS_LEASE_SECONDS", str(6 * 3600)))
# Runs of scheduled jobs are kept this many days (each schedule's last run always).
LIANKE_JOBS_KEEP_DAYS = int(os.environ.get("LIANKE_JOBS_KEEP_DAYS", "90"))
