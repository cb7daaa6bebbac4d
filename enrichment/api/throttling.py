"""Per-client throttles counted in the default cache (the database: shared by every process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # DRF imports these modules while building its views
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _CurrentRate:
    """Read the rate at request time (DRF binds it at import, which settings overrides miss)."""

    scope: str | None

    def get_rate(self) -> str | None:
        rates: Mapping[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(self.scope) if self.scope else None
        return str(rate) if rate else None


class AnonymousClientThrottle(_CurrentRate, AnonRateThrottle):
    """Anonymous requests, counted per client IP (API_THROTTLE_ANON)."""


class AuthenticatedClientThrottle(_CurrentRate, UserRateThrottle):
    """Authenticated requests, counted per user (API_THROTTLE_USER)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return True  # the anonymous throttle counts these
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        # Internal callers (API_TRUSTED_NETWORKS) have no user id: counted per address.
        username = getattr(request.user, "username", "")
        if getattr(request.user, "pk", None) is None and username.startswith("internal:"):
            return self.cache_format % {"scope": self.scope, "ident": username}
        return super().get_cache_key(request, view)
