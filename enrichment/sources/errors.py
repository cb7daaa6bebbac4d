"""What can go wrong talking to an upstream API, each error saying transient or permanent."""

from __future__ import annotations


class SourceError(Exception):
    """An upstream call did not produce a usable answer."""

    transient = False
    outcome = "error"

    def __init__(self, source: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.retry_after = retry_after

    def reword(self, message: str) -> None:
        """Replace the message (the seam takes secrets out of it before it leaves)."""
        self.message = message
        self.args = (f"{self.source}: {message}",)


class TransientSourceError(SourceError):
    """Try again later: timeouts, 5xx, connection errors."""

    transient = True
    outcome = "transient"


class RateLimited(TransientSourceError):
    """The upstream (429/503) or our shared limiter said: not now."""

    outcome = "rate_limited"


class LimiterBusy(RateLimited):
    """Our own shared limiter's queue is longer than RATE_LIMIT_MAX_WAIT (not the API's fault)."""


class BreakerOpen(TransientSourceError):
    """The API's circuit breaker is open: calls are refused until it half-opens."""

    outcome = "breaker_open"


class PermanentSourceError(SourceError):
    """Retrying the same call will not help."""


class ConfigurationError(PermanentSourceError):
    """Credentials missing, rejected (401/403) or otherwise misconfigured."""

    outcome = "config_error"


class Unauthorized(ConfigurationError):
    """HTTP 401: credentials missing, wrong or expired (a token may be refreshed once)."""


class Unconfigured(ConfigurationError):
    """The source is enabled but has no credentials."""

    outcome = "unconfigured"


class CapabilityUnavailable(PermanentSourceError):
    """The source refuses this kind of call for our app (e.g. Spotify audio features)."""

    outcome = "unavailable"


class MalformedResponse(PermanentSourceError):
    """The upstream answered with a body we cannot read: recorded, never taken as data."""

    outcome = "malformed"
