"""Which response cache the configuration selects (HTTP_CACHE, or the original's REDIS_*)."""

from __future__ import annotations

from urllib.parse import urlsplit


def response_cache(http_cache: str, redis_host: str, redis_port: int) -> tuple[str, str]:
    """The response cache ("db" or a Redis URL) and the variable that chose it.

    HTTP_CACHE wins when set; else REDIS_HOST (with REDIS_PORT), the original service's
    variables, selects Redis there; else the `api_cache` table.
    """
    if http_cache:
        return http_cache, "HTTP_CACHE"
    if redis_host:
        host = f"[{redis_host}]" if ":" in redis_host else redis_host  # an IPv6 address
        return f"redis://{host}:{redis_port}/0", "REDIS_HOST"
    return "db", "default"


def described(backend: str, origin: str) -> str:
    """The cache for a log line: where it is (never a password) and what chose it."""
    if backend == "db":
        where = "the api_cache table"
    else:
        parts = urlsplit(backend)
        where = f"Redis at {parts.hostname or parts.path}" + (
            f":{parts.port}" if parts.port else ""
        )
    return f"response cache: {where} (from {origin})"
