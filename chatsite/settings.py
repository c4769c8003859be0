"""Settings for chatsite, read from the environment in this one place.

Every value has a safe default for local development; unsafe production combinations are reported by the
system checks in chatsite/checks.py and accounts/checks.py, which also run when the ASGI/WSGI app starts.
The variables users set are listed in the README's configuration table.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value with surrounding blanks removed, or the default when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be 1 or 0, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    return float(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

# Used only while DEBUG is on; the system check chatsite.E001 refuses it otherwise.
DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "chatsite",
    "accounts",
    "threads",
    "chat",
    "webhooks",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
]

# Django's middleware, subclassed in chatsite.middleware to run without thread hops under ASGI.
MIDDLEWARE = [
    "chatsite.middleware.SecurityMiddleware",
    "chatsite.security.SecurityHeadersMiddleware",
    "chatsite.staticfiles.StaticFilesMiddleware",
    "chatsite.middleware.SessionMiddleware",
    "chatsite.middleware.CommonMiddleware",
    "chatsite.middleware.CsrfViewMiddleware",
    "chatsite.middleware.AuthenticationMiddleware",
    "accounts.middleware.ClerkAuthenticationMiddleware",
    "chatsite.middleware.MessageMiddleware",
    "chatsite.middleware.XFrameOptionsMiddleware",
]

# Django's deployment checks look for its middleware by dotted path and would call ours missing; chatsite.checks
# runs those checks as if ours had Django's paths (their findings get a "chatsite." prefix).
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "chatsite.urls"
WSGI_APPLICATION = "chatsite.wsgi.application"
ASGI_APPLICATION = "chatsite.asgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg pool: connections are returned after each request instead of being held by the
    # thread, so a long chat stream does not pin a PostgreSQL connection (see docs/DEPLOY.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Check a pooled connection before handing it out, so that connections broken while the database was
    # away are replaced instead of failing the first request of each once it is back.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20),
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 10.0),
        },
        # What the URL's query string says (sslmode, sslrootcert, application_name…) wins over the defaults.
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the chat page read while a stream writes; IMMEDIATE avoids "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, shared by every process when REDIS_URL is set) -------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs must not hang requests: the rate limits fail open after this (chat.limits).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication ---------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ClerkBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Clerk. A literal "\n" in CLERK_JWT_KEY is accepted because many hosts cannot store multi-line values.
CLERK_JWT_KEY = env_str("CLERK_JWT_KEY").replace("\\n", "\n") or None
CLERK_SECRET_KEY = env_str("CLERK_SECRET_KEY") or None
CLERK_PUBLISHABLE_KEY = env_str("CLERK_PUBLISHABLE_KEY") or None
CLERK_API_URL = env_str("CLERK_API_URL", "https://api.clerk.com")
CLERK_AUTHORIZED_PARTIES = env_list(
    "CLERK_AUTHORIZED_PARTIES", ["http://localhost:8000", "http://127.0.0.1:8000"] if DEBUG else []
)
CLERK_ISSUER = env_str("CLERK_ISSUER") or None
# Clerk marks a session "pending" while the user still owes a task (e.g. choosing an organization); Clerk's
# own SDKs treat such sessions as signed out unless the app opts in.
CLERK_ALLOW_PENDING_SESSIONS = env_bool("CLERK_ALLOW_PENDING_SESSIONS", False)
CLERK_CLOCK_SKEW_MS = env_int("CLERK_CLOCK_SKEW_MS", 5000)
CLERK_MAX_TOKEN_BYTES = 16 * 1024
# JWKS (used only with CLERK_SECRET_KEY and no CLERK_JWT_KEY).
CLERK_JWKS_TIMEOUT = env_float("CLERK_JWKS_TIMEOUT", 3.0)
CLERK_JWKS_REFETCH_INTERVAL = env_float("CLERK_JWKS_REFETCH_INTERVAL", 10.0)
CLERK_JWKS_FAILURE_BACKOFF = env_float("CLERK_JWKS_FAILURE_BACKOFF", 5.0)
CLERK_JWKS_MAX_AGE = env_float("CLERK_JWKS_MAX_AGE", 3600.0)

# Clerk webhooks (POST /api/webhooks/clerk): the endpoint's Svix signing secret; without it the endpoint
# answers 503. Clerk's payloads are a few KiB, so anything far larger is refused unread (413).
CLERK_WEBHOOK_SECRET = env_str("CLERK_WEBHOOK_SECRET") or None
CLERK_WEBHOOK_MAX_BODY_BYTES = env_int("CLERK_WEBHOOK_MAX_BODY_BYTES", 256 * 1024)
# What organizationMembership.deleted does to the former member's threads in that organization:
# "delete" them, or "archive" them (kept for the organization). Checked by webhooks.E002.
CLERK_MEMBERSHIP_DELETED_ACTION = env_str("CLERK_MEMBERSHIP_DELETED_ACTION", "delete").lower()

# Development sign-in: on by default only while DEBUG is on and no Clerk key is configured.
_dev_signin = env_str("CLERK_DEV_SIGNIN", "auto").lower()
CLERK_DEV_SIGNIN = (
    DEBUG and not (CLERK_JWT_KEY or CLERK_SECRET_KEY) if _dev_signin == "auto" else env_bool("CLERK_DEV_SIGNIN", False)
)
CLERK_DEV_KEY_PATH = Path(env_str("CLERK_DEV_KEY_PATH", str(BASE_DIR / "var" / "dev-signin-key.pem")))
CLERK_DEV_SESSION_SECONDS = env_int("CLERK_DEV_SESSION_SECONDS", 8 * 3600)

# --- API --------------------------------------------------------------------------------------------------

API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ClerkAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasClerkIdentity"],
    "DEFAULT_PARSER_CLASSES": ["chatsite.parsers.LenientJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "chatsite.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "chatsite.schema.JSONAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "chatsite API",
    "DESCRIPTION": "Clerk-authenticated chat threads for assistant-ui and the Vercel AI SDK.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,
    # The plain views (/api/chat, /api/webhooks/clerk) and every operation's error answers: chatsite/schema.py.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "chatsite.schema.postprocess_schema"],
    # Threads and messages both have a `status` (messages in the data export); the thread's keeps its name.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "threads.models.Thread.Status",
        "MessageStatusEnum": "threads.models.Message.Status",
    },
}

# --- Chat and the model provider --------------------------------------------------------------------------

OPENAI_API_KEY = env_str("OPENAI_API_KEY") or None
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL") or None
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-4o-mini")
# Models a client may pick with `config.modelName`; anything else gets OPENAI_MODEL.
OPENAI_MODEL_ALLOWLIST = env_list("OPENAI_MODEL_ALLOWLIST", [])
OPENAI_TIMEOUT = env_float("OPENAI_TIMEOUT", 60.0)  # longest silence while streaming
OPENAI_CONNECT_TIMEOUT = env_float("OPENAI_CONNECT_TIMEOUT", 10.0)
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 1)

CHAT_SYSTEM_PROMPT = env_str("CHAT_SYSTEM_PROMPT", "You are a helpful assistant.")
CHAT_MAX_BODY_BYTES = env_int("CHAT_MAX_BODY_BYTES", 8 * 1024 * 1024)  # images arrive as data: URLs
CHAT_MAX_MESSAGES = env_int("CHAT_MAX_MESSAGES", 200)
CHAT_MAX_PARTS = env_int("CHAT_MAX_PARTS", 100)
CHAT_MAX_TEXT_CHARS = env_int("CHAT_MAX_TEXT_CHARS", 200_000)
CHAT_MAX_SYSTEM_CHARS = env_int("CHAT_MAX_SYSTEM_CHARS", 4000)
CHAT_MAX_OUTPUT_TOKENS = env_int("CHAT_MAX_OUTPUT_TOKENS", 4096)
CHAT_KEEPALIVE_SECONDS = env_float("CHAT_KEEPALIVE_SECONDS", 15.0)
CHAT_REQUESTS_PER_MINUTE = env_int("CHAT_REQUESTS_PER_MINUTE", 20)
CHAT_TOKENS_PER_DAY = env_int("CHAT_TOKENS_PER_DAY", 200_000)
CHAT_TITLE_TIMEOUT = env_float("CHAT_TITLE_TIMEOUT", 15.0)

# --- Internationalization, static files ---------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` writes and WhiteNoise serves from in production.
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Serve straight from the app folders while developing, so `collectstatic` is only needed in production.
WHITENOISE_USE_FINDERS = DEBUG

# --- Security ---------------------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", True) else None
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging: never the request headers, so never a token ---------------------------------------------------

LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "accounts": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "threads": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "chat": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "webhooks": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
