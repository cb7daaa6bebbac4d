"""Django settings, read from the environment (and `.env` when present). See .env.example."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, cast

from dotenv import load_dotenv

from songnodes.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent
# Real environment variables win over .env, so CI and docker can override anything.
load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Variables whose value could not be read: the default is used and a system check names them
# (songnodes.E008), instead of a stack trace at start-up.
INVALID_SETTINGS: dict[str, str] = {}


def env_number(name: str, default: float, kind: type[int] | type[float] = float) -> Any:
    """Read a numeric variable; a bad value falls back to the default and is reported."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        INVALID_SETTINGS[name] = value
        return default


def env_int(name: str, default: int) -> int:
    """Read an integer variable."""
    return int(env_number(name, default, int))


DATA_DIR = Path(os.environ.get("SONGNODES_DATA_DIR") or BASE_DIR / ".songnodes").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A per-checkout key kept in the data directory, so sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "procrastinate.contrib.django",
    "enrichment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files under gunicorn (collected into STATIC_ROOT).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "songnodes.urls"
WSGI_APPLICATION = "songnodes.wsgi.application"
ASGI_APPLICATION = "songnodes.asgi.application"

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

DATABASES = {"default": database_settings(os.environ, DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # Shared by every process (DRF throttles, breaker metrics): the database, not local memory.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

# REST API (enrichment/api/). Writes need a token or a session; reads (stats, tracks, batch
# progress) too unless API_OPEN_READS; /health, /metrics and the schema are open. Throttles
# count per user (or per IP when anonymous) in the default cache, which every process shares.
API_OPEN_READS = env_bool("API_OPEN_READS", False)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["enrichment.api.permissions.ReadsOpenWritesAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["enrichment.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "enrichment.api.throttling.AnonymousClientThrottle",
        "enrichment.api.throttling.AuthenticatedClientThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "").strip() or "60/minute",
        "user": os.environ.get("API_THROTTLE_USER", "").strip() or "600/minute",
    },
    # Trusted reverse proxies in front of the app: 0 means the client is REMOTE_ADDR and a
    # forged X-Forwarded-For cannot dodge the per-client throttle.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
    "EXCEPTION_HANDLER": "enrichment.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SongNodes Enrichment API",
    "DESCRIPTION": (
        "Enrich music tracks with identifiers, audio features, keys and tags. Writes need "
        "`Authorization: Token <key>` (`manage.py create_api_token USER`) or a session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "enrichment.api.schema.document_batch_limits",
    ],
    "ENUM_NAME_OVERRIDES": {
        "EnrichmentStatusEnum": "enrichment.models.EnrichmentStatus.Status",
        "BreakerStateEnum": "enrichment.models.CircuitBreakerState.State",
        "HealthStatusEnum": "enrichment.api.health.HEALTH_STATES",
    },
}
# CORS is closed unless origins are listed (no CORS headers at all by default).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")

# --- Upstream sources -------------------------------------------------------------------
# Seed rates in requests per second; every value can be overridden by <SOURCE>_RATE_LIMIT.
SOURCE_DEFAULTS = {
    "spotify": {"api_url": "https://api.spotify.com/v1", "rate_limit": 3.0},
    "musicbrainz": {"api_url": "https://musicbrainz.org/ws/2", "rate_limit": 0.9},
    "discogs": {"api_url": "https://api.discogs.com", "rate_limit": 0.9},
    "lastfm": {"api_url": "https://ws.audioscrobbler.com/2.0/", "rate_limit": 0.5},
    "deezer": {"api_url": "https://api.deezer.com", "rate_limit": 5.0},
    "reccobeats": {"api_url": "https://api.reccobeats.com/v1", "rate_limit": 2.0},
}
SOURCES: dict[str, dict[str, Any]] = {
    name: {
        "api_url": os.environ.get(f"{name.upper()}_API_URL", "").strip() or defaults["api_url"],
        "rate_limit_raw": os.environ.get(f"{name.upper()}_RATE_LIMIT", "").strip(),
        "default_rate_limit": defaults["rate_limit"],
    }
    for name, defaults in SOURCE_DEFAULTS.items()
}
SPOTIFY_AUTH_URL = (
    os.environ.get("SPOTIFY_AUTH_URL", "").strip() or "https://accounts.spotify.com/api/token"
)
SPOTIFY_CLIENT_ID = os.environ.get("SPOTIFY_CLIENT_ID", "").strip()
SPOTIFY_CLIENT_SECRET = os.environ.get("SPOTIFY_CLIENT_SECRET", "").strip()
MUSICBRAINZ_USER_AGENT = os.environ.get("MUSICBRAINZ_USER_AGENT", "").strip()
DISCOGS_TOKEN = os.environ.get("DISCOGS_TOKEN", "").strip()
LASTFM_API_KEY = os.environ.get("LASTFM_API_KEY", "").strip()
# Accepted for compatibility with the original service; Beatport has no public API we use.
BEATPORT_API_KEY = os.environ.get("BEATPORT_API_KEY", "").strip()
HTTP_CACHE = os.environ.get("HTTP_CACHE", "db").strip() or "db"
# Longest a caller waits for a rate-limit token before the call counts as a transient error.
RATE_LIMIT_MAX_WAIT = env_number("RATE_LIMIT_MAX_WAIT", 30.0)
HTTP_TIMEOUT = env_number("HTTP_TIMEOUT", 15.0)

# The sources enrichment asks, in any order (the pipeline fixes the order).
ENRICHMENT_SOURCES = env_list(
    "ENRICHMENT_SOURCES", "spotify,musicbrainz,deezer,reccobeats,discogs,lastfm"
)
# A claim older than this (seconds) is taken to belong to a dead worker and may be retaken.
ENRICH_CLAIM_TIMEOUT = env_int("ENRICH_CLAIM_TIMEOUT", 900)

# --- Jobs ---------------------------------------------------------------------------------
# A worker that has not sent a heartbeat for STALLED_AFTER_SECONDS is taken for dead: its
# jobs are retried by the others (the heartbeat interval must be well below that).
WORKER_HEARTBEAT_SECONDS = env_number("WORKER_HEARTBEAT_SECONDS", 10.0)
STALLED_AFTER_SECONDS = env_number("STALLED_AFTER_SECONDS", 60.0)
RECOVER_STALLED_CRON = os.environ.get("RECOVER_STALLED_CRON", "") or "* * * * *"
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": WORKER_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": STALLED_AFTER_SECONDS,
}
ENRICH_BATCH_SIZE = env_int("ENRICH_BATCH_SIZE", 100)
# Threads per worker process running enrichment attempts (most of their time is spent
# waiting for a rate-limit turn, so many more than cores).
ENRICH_THREADS = env_int("ENRICH_THREADS", 16)
ENRICH_MAX_BATCH_REQUEST = env_int("ENRICH_MAX_BATCH_REQUEST", 1000)

# --- Logging ------------------------------------------------------------------------------
# One line per event on stderr: LOG_FORMAT=plain (readable) or json (one object per line),
# with track_id / source / job_id when known and every configured secret redacted
# (enrichment/logging.py). Unknown values fall back to plain / INFO so that the system checks
# can name the variable instead of logging failing to start.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or "plain"
LOG_LEVEL = os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
_log_levels = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "enrichment.logging.ContextFilter"},
        "redact": {"()": "enrichment.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"()": "enrichment.logging.PlainFormatter"},
        "json": {"()": "enrichment.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"plain", "json"} else "plain",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL if LOG_LEVEL in _log_levels else "INFO"},
    "loggers": {
        # Through the root handler only (Django's defaults would print some lines twice).
        "django": {"level": "INFO", "propagate": True},
        "django.server": {"level": "INFO", "propagate": True},
        "pgserver": {"level": "WARNING"},
        # One INFO line per command start-up otherwise.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}

# --- REST API ---
# Batches are kept in the default (database) cache this long (seconds) for progress reports.
ENRICH_BATCH_TTL = env_int("ENRICH_BATCH_TTL", 30 * 24 * 3600)
# /stats and the dashboard read a snapshot of the counts that a periodic job refreshes every
# minute; it is kept this long (seconds) and recomputed on demand when missing (0 = always).
STATS_CACHE_SECONDS = env_int("STATS_CACHE_SECONDS", 300)
# The largest batch must fit: an item is at most ~8 KiB of JSON, escapes included.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, ENRICH_MAX_BATCH_REQUEST * 8192)
# Batches and throttle windows live in the cache table: never cull them at Django's default 300.
cast(dict[str, Any], CACHES["default"]).setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10**6)
INSTALLED_APPS.append("corsheaders")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
# Prometheus multiprocess mode: each process (web, workers, commands) writes its samples to
# files in PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads once, at import: settings
# load before any code imports it. Every host (container) gets its own directory under
# PROMETHEUS_METRICS_DIR, since files are named by PID and containers sharing a volume reuse
# PIDs; /metrics merges the whole tree. Emptied only by `manage.py metrics_reset` when a
# deployment starts.
PROMETHEUS_METRICS_DIR = Path(
    os.environ.get("PROMETHEUS_METRICS_DIR", "").strip() or DATA_DIR / "prometheus"
).resolve()
_HOST = "".join(c if c.isalnum() or c in "._-" else "_" for c in os.uname().nodename)
PROMETHEUS_MULTIPROC_DIR = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip() or PROMETHEUS_METRICS_DIR / _HOST
).resolve()
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)
