"""Django settings, read from the environment (and `.env` when present). See .env.example."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from enrichment.sources.registry import APIS, all_credentials, default_sources
from songnodes.bootstrap import data_dir, metrics_dirs, read_secret_key, static_root
from songnodes.caches import response_cache
from songnodes.database import database_settings
from songnodes.env import Environment, process_environment

BASE_DIR = Path(__file__).resolve().parent.parent
# Importing settings changes nothing: no directory, file, server or os.environ entry is made
# (songnodes.bootstrap.prepare() does that for the processes that run). Real environment
# variables win over .env, so CI and docker can override anything.
_env = Environment(process_environment(BASE_DIR))
# Variables whose value could not be read: the default is used and a system check names them
# (songnodes.E008, E001 for rates), instead of a stack trace at start-up. Both fill in as the
# variables below are read.
INVALID_SETTINGS: dict[str, str] = _env.invalid
# Every variable settings read, with its kind (songnodes.env.KINDS), and the bounds declared
# for numbers (a value outside is invalid, so E008 can name the variable and the bound).
SETTING_KINDS: dict[str, str] = _env.kinds
# ... and its default (docs/operations.md and .env.example must give the same).
SETTING_DEFAULTS: dict[str, object] = _env.defaults
SETTING_BOUNDS = _env.bounds
# Durations in seconds beyond this are mistakes (and overflow dates and socket timeouts).
_YEAR = 365 * 24 * 3600

DATA_DIR = data_dir(_env)

DEBUG = _env.boolean("DEBUG", False)
# The development key is generated into DATA_DIR by prepare(); settings only read it.
SECRET_KEY = _env.string("SECRET_KEY") or read_secret_key(DATA_DIR)
ALLOWED_HOSTS = _env.strings("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
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

DATABASES = {
    "default": database_settings(
        _env.string("DATABASE_URL"),
        DATA_DIR,
        conn_max_age=_env.integer("CONN_MAX_AGE", 60, minimum=0, maximum=_YEAR),
        # Seconds libpq waits for a server to answer a new connection (it waits for ever by
        # default on a port that accepts and stays silent).
        connect_timeout=_env.integer("DATABASE_CONNECT_TIMEOUT", 10, minimum=1, maximum=3600),
    )
}
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
STATIC_ROOT = static_root(DATA_DIR)

# REST API (enrichment/api/). Writes need a token or a session; reads (stats, tracks, batch
# progress) too unless API_OPEN_READS; /health, /metrics and the schema are open. Throttles
# count per user (or per IP when anonymous) in the default cache, which every process shares.
API_OPEN_READS = _env.boolean("API_OPEN_READS", False)
# Callers in these networks (the client address as the throttles see it: REMOTE_ADDR, or
# X-Forwarded-For behind API_NUM_PROXIES proxies) need no token: the original service's
# in-cluster callers sent none. Empty by default; W030 warns when one covers public addresses.
API_TRUSTED_NETWORKS = _env.networks("API_TRUSTED_NETWORKS")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "enrichment.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "enrichment.api.authentication.TrustedNetworkAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["enrichment.api.permissions.ReadsOpenWritesAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["enrichment.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "enrichment.api.throttling.AnonymousClientThrottle",
        "enrichment.api.throttling.AuthenticatedClientThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _env.throttle("API_THROTTLE_ANON", "60/minute"),
        "user": _env.throttle("API_THROTTLE_USER", "600/minute"),
    },
    # Trusted reverse proxies in front of the app: 0 means the client is REMOTE_ADDR and a
    # forged X-Forwarded-For cannot dodge the per-client throttle.
    "NUM_PROXIES": _env.integer("API_NUM_PROXIES", 0, minimum=0, maximum=100),
    "EXCEPTION_HANDLER": "enrichment.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SongNodes Enrichment API",
    "DESCRIPTION": (
        "Enrich music tracks with identifiers, audio features, keys and tags. Writes need "
        "`Authorization: Token <key>` (`manage.py create_api_token USER`) or a session, "
        "except from the networks in API_TRUSTED_NETWORKS (none by default), whose callers "
        "need no credentials, as the original service's in-cluster callers sent none."
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
# Failed authentications (wrong API tokens, failed admin logins) per client address: after
# this many within the window (seconds) every attempt from it is answered 429 until it ends.
AUTH_FAILURE_LIMIT = _env.integer("AUTH_FAILURE_LIMIT", 10, minimum=1)
AUTH_FAILURE_WINDOW = _env.integer("AUTH_FAILURE_WINDOW", 300, minimum=1, maximum=_YEAR)
# CORS is closed unless origins are listed (no CORS headers at all by default).
CORS_ALLOWED_ORIGINS = _env.strings("CORS_ALLOWED_ORIGINS")

# --- Upstream sources -------------------------------------------------------------------
# Everything per provider comes from its registry entry (enrichment/sources/registry.py).


def source_settings(env: Environment) -> dict[str, dict[str, Any]]:
    """Each API's base URL and rate (requests per second): its variables, else the registry's."""
    return {
        api.name: {
            "api_url": env.url(api.api_url_variable, api.api_url),
            "rate_limit": env.rate(api.rate_limit_variable, api.rate_limit),
            "default_rate_limit": api.rate_limit,
        }
        for api in APIS
    }


SOURCES: dict[str, dict[str, Any]] = source_settings(_env)
# Other URLs of an API (e.g. a token endpoint), and every credential variable (the accepted
# but unsupported ones included) as a setting of the same name.
for _api in APIS:
    for _variable, _default in _api.extra_urls.items():
        globals()[_variable] = _env.url(_variable, _default)
for _credential in all_credentials():
    globals()[_credential.variable] = _env.string(_credential.variable)
# The response cache: HTTP_CACHE when set; else Redis at REDIS_HOST:REDIS_PORT (the original
# service's variables) when REDIS_HOST is set; else the api_cache table. Its origin is logged.
REDIS_HOST = _env.string("REDIS_HOST")
REDIS_PORT = _env.integer("REDIS_PORT", 6379, minimum=1, maximum=65535)
_http_cache = _env.string("HTTP_CACHE", "db")
HTTP_CACHE, HTTP_CACHE_ORIGIN = response_cache(
    _http_cache if _env.given("HTTP_CACHE") else "", REDIS_HOST, REDIS_PORT
)
# Longest a caller waits for a rate-limit token before the call counts as a transient error.
RATE_LIMIT_MAX_WAIT = _env.number("RATE_LIMIT_MAX_WAIT", 30.0, minimum=0, maximum=3600)
# A request woken later than this fraction of its API's interval after its slot (and than 2 ms,
# the scheduler's own jitter) gives the slot up and books the next one, so a descheduled worker
# never goes out next to the following one.
RATE_LIMIT_LATE_TOLERANCE = _env.number("RATE_LIMIT_LATE_TOLERANCE", 0.5, minimum=0, maximum=10)
# A request leaves only when the last one that left (cluster-wide) is at least
# (1 - margin) x its API's interval ago; closer, it books a fresh slot instead.
RATE_LIMIT_SAFETY_MARGIN = _env.number("RATE_LIMIT_SAFETY_MARGIN", 0.05, minimum=0, maximum=0.5)
HTTP_TIMEOUT = _env.number("HTTP_TIMEOUT", 15.0, above=0, maximum=3600)

# The sources enrichment asks, in any order (the pipeline fixes the order).
# (An opt-in source is in the default only when its credentials are set.)
_credential_values = {c.variable: globals()[c.variable] for c in all_credentials()}
ENRICHMENT_SOURCES = _env.strings(
    "ENRICHMENT_SOURCES", ",".join(default_sources(_credential_values))
)
# An unreadable upstream answer is retried (as a transient failure) until a provider has
# given this many in a row for a track; then it is recorded as that provider's error.
# The tempo range a track's BPM is folded into by octaves, where its genre gives none
# (enrichment/bpm.py; per-genre ranges live in enrichment/data/genre_taxonomy.json).
BPM_RANGE = _env.bpm_range("BPM_RANGE", "78-155")
MALFORMED_MAX_ATTEMPTS = _env.integer("MALFORMED_MAX_ATTEMPTS", 3, minimum=1, maximum=100)
# A claim older than this (seconds) is taken to belong to a dead worker and may be retaken.
ENRICH_CLAIM_TIMEOUT = _env.integer("ENRICH_CLAIM_TIMEOUT", 900, minimum=1, maximum=_YEAR)

# --- Jobs ---------------------------------------------------------------------------------
# A worker that has not sent a heartbeat for STALLED_AFTER_SECONDS is taken for dead: its
# jobs are retried by the others (the heartbeat interval must be well below that).
WORKER_HEARTBEAT_SECONDS = _env.number("WORKER_HEARTBEAT_SECONDS", 10.0, above=0, maximum=3600)
STALLED_AFTER_SECONDS = _env.number("STALLED_AFTER_SECONDS", 60.0, above=0, maximum=_YEAR)
RECOVER_STALLED_CRON = _env.cron("RECOVER_STALLED_CRON", "* * * * *")
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": WORKER_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": STALLED_AFTER_SECONDS,
}
# Workers wait at most 10 s for a pool connection, so one whose database is gone exits (and
# run_workers restarts it) within about 30 s instead of minutes.
PROCRASTINATE_ON_APP_READY = "enrichment.queue_connector.install"
ENRICH_BATCH_SIZE = _env.integer("ENRICH_BATCH_SIZE", 100, minimum=1)
# Threads per worker process running enrichment attempts (most of their time is spent
# waiting for a rate-limit turn, so many more than cores).
ENRICH_THREADS = _env.integer("ENRICH_THREADS", 16, minimum=1)
# Sources slower than every enabled source of BPM or key are asked in follow-up jobs, one per
# source on its own queue (enrich-<source>), so BPM and key are not held behind them
# (enrichment.pacing); false: a track's job asks every source itself.
ENRICH_FOLLOW_UPS = _env.boolean("ENRICH_FOLLOW_UPS", True)
# A slow source whose API is free at that moment (no caller waiting for a turn) is asked by the
# track's job itself; false: always in its follow-up job.
ENRICH_INLINE_WHEN_IDLE = _env.boolean("ENRICH_INLINE_WHEN_IDLE", True)
ENRICH_MAX_BATCH_REQUEST = _env.integer("ENRICH_MAX_BATCH_REQUEST", 1000, minimum=1)
# POST /enrich (synchronous, the original's default) defers a high-priority job and waits
# for its attempt at most this many seconds (then 202 with the job id); at most
# ENRICH_SYNC_MAX_WAITERS requests per web process wait at once (the others get 202 at once),
# so the web never calls upstream itself and keeps threads free for everything else.
ENRICH_SYNC_TIMEOUT = _env.number("ENRICH_SYNC_TIMEOUT", 25.0, minimum=0, maximum=300)
ENRICH_SYNC_MAX_WAITERS = _env.integer("ENRICH_SYNC_MAX_WAITERS", 4, minimum=1, maximum=1000)

# --- Admin --------------------------------------------------------------------------------
# A reset or lock/unlock over "everything matching the filter" changes at most this many
# tracks per request (the message says how many are left), this many rows per UPDATE.
ADMIN_ACTION_LIMIT = _env.integer("ADMIN_ACTION_LIMIT", 100_000, minimum=1)
ADMIN_UPDATE_BATCH_SIZE = _env.integer("ADMIN_UPDATE_BATCH_SIZE", 1000, minimum=1)
# A filtered track list counts its matches up to this many (then reads "500+"): an exact count
# over a million tracks costs more than the page itself.
ADMIN_COUNT_CAP = _env.integer("ADMIN_COUNT_CAP", 500, minimum=1)

# --- Logging ------------------------------------------------------------------------------
# One line per event on stderr: LOG_FORMAT=plain (readable) or json (one object per line),
# with track_id / source / job_id when known and every configured secret redacted
# (enrichment/logging.py). Unknown values fall back to plain / INFO so that the system checks
# can name the variable instead of logging failing to start.
LOG_FORMAT = _env.string("LOG_FORMAT", "plain").lower()
LOG_LEVEL = _env.string("LOG_LEVEL", "INFO").upper()
_log_levels = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "enrichment.logging.ContextFilter"},
        "redact": {"()": "enrichment.logging.RedactSecretsFilter"},
        "quiet_forbidden": {"()": "enrichment.logging.QuietForbiddenFilter"},
        "disallowed_host": {"()": "enrichment.logging.DisallowedHostFilter"},
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
        # A 403 is one WARNING line, without the traceback Django adds to PermissionDenied.
        "django.request": {"filters": ["quiet_forbidden"], "propagate": True},
        "django.security.csrf": {"filters": ["quiet_forbidden"], "propagate": True},
        # A refused Host header: one line with the host and the variable to change.
        "django.security.DisallowedHost": {"filters": ["disallowed_host"], "propagate": True},
        "pgserver": {"level": "WARNING"},
        # One INFO line per command start-up otherwise.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}

# --- REST API ---
# Batches are kept in the default (database) cache this long (seconds) for progress reports.
ENRICH_BATCH_TTL = _env.integer("ENRICH_BATCH_TTL", 30 * 24 * 3600, minimum=1, maximum=_YEAR)
# /stats and the dashboard read a snapshot of the counts that a periodic job refreshes every
# minute; it is kept this long (seconds) and recomputed on demand when missing (0 = always).
STATS_CACHE_SECONDS = _env.integer("STATS_CACHE_SECONDS", 300, minimum=0, maximum=_YEAR)
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
# files in PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads once, at import:
# songnodes.bootstrap.prepare() sets it before Django starts. Every host (container) gets its
# own directory under PROMETHEUS_METRICS_DIR, since files are named by PID and containers
# sharing a volume reuse PIDs; /metrics merges the whole tree. Emptied only by
# `manage.py metrics_reset` when a deployment starts.
PROMETHEUS_METRICS_DIR, PROMETHEUS_MULTIPROC_DIR = metrics_dirs(_env, DATA_DIR)

# --- Read before Django starts (deploy/gunicorn.conf.py, deploy/worker.py, compose) --------
# Validated here too, so that `check --deploy` in the compose migrate step names a bad value
# instead of gunicorn or the worker failing with a traceback (or running no process at all).
WEB_CONCURRENCY = _env.integer("WEB_CONCURRENCY", 2, minimum=1, maximum=256)
WORKER_PROCESSES = _env.integer("WORKER_PROCESSES", 2, minimum=1, maximum=256)
WORKER_METRICS_PORT = _env.integer("WORKER_METRICS_PORT", 9100, minimum=0, maximum=65535)  # 0: off
