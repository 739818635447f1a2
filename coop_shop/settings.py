"""Settings for coop_shop, read from environment variables.

Development needs nothing set: SQLite and Celery's filesystem broker under ``var/``,
emails printed to the console. Production sets ``DEBUG=0`` and the variables listed
in README.md; then ``SECRET_KEY`` is required and ``check --deploy`` is clean.
"""

import hashlib
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "accounts",
    "farms",
    "orders",
    "payments",
    "pickup",
    "organisations",
    "baskets",
    "settlements",
    "demo",
]

MIDDLEWARE = [
    "coop_shop.logs.RequestIdMiddleware",
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
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

if DEBUG:
    # runserver serves static files in development; WhiteNoise serves them under gunicorn.
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "coop_shop.urls"
WSGI_APPLICATION = "coop_shop.wsgi.application"
ASGI_APPLICATION = "coop_shop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # After Django's: `date` writes « 1er » in French (common.template_dates).
            "builtins": ["common.template_dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "baskets.context_processors.basket",
                "farms.context_processors.suppliers",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'coop_shop.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks, use WAL.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # ModelBackend's sign-in; the user read with their roles (one query a page). The
    # two below stay for sessions opened before, and allauth's own.
    "accounts.backends.UserWithRolesBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email is the login, it must be verified, login is rate-limited.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Given and family names (and an optional phone) too: sheets are sorted by family name.
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupNames"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Rate limits count in the cache: it must be shared by every web worker (Redis in
# production), and the client's address must be read behind the TLS proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ACCOUNT_EMAIL_SUBJECT_PREFIX = os.environ.get(
    "EMAIL_SUBJECT_PREFIX", f"[{os.environ.get('COOP_NAME', 'Coop des Champs')}] "
)
ACCOUNT_ADAPTER = "accounts.adapter.CoopAccountAdapter"  # emails in the co-op's name
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"

# Caches. `default`: the login rate limits (and anything that must be shared by every
# process): Redis when CACHE_URL is set (production), else this process's memory.
# `pages`: the shop's rendered cards and lists, always this process's own bounded
# memory, so no visitor can fill Redis with pages or push a rate-limit counter out.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
    # Room for a whole shop of cards in both languages (the default 300 would keep
    # evicting them); past that, the oldest third goes.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 5000, "CULL_FREQUENCY": 3},
    },
}

# Internationalisation: French (Canada) first, English second.
LANGUAGE_CODE = "fr-ca"
LANGUAGES = [("fr-ca", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "coop_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"  # Secure too once DEBUG is off (below)
LANGUAGE_COOKIE_HTTPONLY = True  # no script of ours reads it
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Pickup lists and sheets hold customers' names: private, served only by checked views.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: printed to the console in development; SMTP from EMAIL_* variables in production.
# `default` queues each message for a Celery task (a request never waits on, nor fails
# with, the mail server); `deliver` is the real server, used by that task and by the
# jobs that already run in the worker with their own retries (farm lists, payment links).
DELIVERY: dict[str, Any]
if env_bool("EMAIL_CONSOLE", DEBUG):
    DELIVERY = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
else:
    DELIVERY = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "587")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": 20,
        },
    }
MAILERS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "accounts.mail.QueuedEmailBackend"},
    "deliver": DELIVERY,
}
# The sender people see: the co-op's name, unless DEFAULT_FROM_EMAIL says otherwise.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL",
    f"{os.environ.get('COOP_NAME', 'Coop des Champs')} <commandes@coop.example>",
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: the filesystem transport under var/ unless CELERY_BROKER_URL says otherwise.
CELERY_FS_DIR = Path(os.environ.get("CELERY_FS_DIR", VAR_DIR / "celery"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Security: strict defaults, HTTPS ones when DEBUG is off.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # Checkout: our form redirects to Stripe's hosted page (form-action covers redirects).
    "form-action": [CSP.SELF, "https://checkout.stripe.com"],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_ENGINE = "accounts.sessions"  # Django's database sessions, read by a compiled query
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # /healthz and /livez are probed over plain HTTP from inside the deployment.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]

# Logs: one JSON object a line in production (LOG_FORMAT=json, the default without
# DEBUG), plain text in development; each line carries the request id or the task id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "coop_shop.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "coop_shop.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s %(request_id)s%(task_id)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Error tracking: Sentry, on when SENTRY_DSN is set (no personal data sent).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# The co-op's own rules. Taxes of Québec: TPS 5 %, TVQ 9.975 % on taxable items.
COOP_NAME = os.environ.get("COOP_NAME", "Coop des Champs")
# The public address, for links in emails sent by the worker (no request to ask).
COOP_BASE_URL = os.environ.get("COOP_BASE_URL", "http://127.0.0.1:8000")
COOP_TPS_RATE = Decimal("0.05")
COOP_TVQ_RATE = Decimal("0.09975")
COORDINATORS_GROUP = "Coordinators"

# Stripe (card payments). Without a secret key only pay-at-pickup is offered.
# STRIPE_API_BASE points the library at another server (tests use a local fake).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_CURRENCY = "cad"
# The close captures card payments this many orders at a time (PostgreSQL only).
# The shop's list of offers is checked against the database at most this often per
# process (seconds): other customers' takes and farmers' edits may show that much
# later; a customer's own basket and cards are always exact. 0 checks on every page.
SHOP_LIST_SECONDS = float(os.environ.get("SHOP_LIST_SECONDS", "2"))
# The hottest reads are prepared on each PostgreSQL connection (common/compiled.py);
# 0 behind a pooler that shares server connections (PgBouncer in transaction mode).
COOP_PREPARED_STATEMENTS = os.environ.get("COOP_PREPARED_STATEMENTS", "1") == "1"
COOP_CLOSE_STRIPE_THREADS = int(os.environ.get("COOP_CLOSE_STRIPE_THREADS", "8"))
# Idempotency keys start with this: our ids repeat across databases (a staging copy,
# a test run) that may share one Stripe account, the keys must not.
STRIPE_IDEMPOTENCY_PREFIX = os.environ.get("STRIPE_IDEMPOTENCY_PREFIX") or (
    "coop-"
    + hashlib.sha256(f"{SECRET_KEY}|{DATABASES['default'].get('NAME')}".encode()).hexdigest()[:10]
)
if STRIPE_API_BASE:  # a local fake Stripe serves its own "hosted" Checkout page
    SECURE_CSP["form-action"] = [CSP.SELF, STRIPE_API_BASE.rstrip("/")]
