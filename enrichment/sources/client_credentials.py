"""APIs reached with an OAuth client-credentials bearer token (one token per app per process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings

from enrichment.sources.base import Source
from enrichment.sources.errors import ConfigurationError, SourceError, Unauthorized
from enrichment.sources.types import as_dict, get_int, get_str, parsing

TOKEN_MARGIN_SECONDS = 60.0  # stop using a token this long before the upstream expires it


class ClientCredentialsSource(Source):
    """A source whose calls carry a bearer token from a client-credentials grant (HTTP Basic).

    Subclasses name their settings' prefix: `<PREFIX>_AUTH_URL`, `<PREFIX>_CLIENT_ID`,
    `<PREFIX>_CLIENT_SECRET`.
    """

    settings_prefix: ClassVar[str]
    app_description: ClassVar[str]  # what the credentials are, for the configuration hint
    # (token URL, client id) -> (token, monotonic expiry): one token per app per process.
    _tokens: ClassVar[dict[tuple[str, str], tuple[str, float]]] = {}
    _token_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def _setting(cls, suffix: str) -> str:
        return str(getattr(settings, f"{cls.settings_prefix}_{suffix}"))

    @classmethod
    def missing_configuration(cls) -> str | None:
        """Both client id and secret are needed for a token."""
        if cls._setting("CLIENT_ID") and cls._setting("CLIENT_SECRET"):
            return None
        prefix = cls.settings_prefix
        return f"set {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET ({cls.app_description})"

    @classmethod
    def forget_tokens(cls) -> None:
        """Drop every cached token (tests, or after credentials change)."""
        with cls._token_lock:
            cls._tokens.clear()

    def authorised_get(
        self,
        path: str,
        params: Mapping[str, str | int],
        *,
        endpoint: str,
        ttl: timedelta,
        headers: Mapping[str, str] | None = None,
    ) -> Any | None:
        """One API call; on 401 the token is renewed and the call made once more."""
        try:
            return self.get_json(path, params, endpoint=endpoint, ttl=ttl, headers=headers)
        except Unauthorized:
            self._drop_token()
            return self.get_json(path, params, endpoint=endpoint, ttl=ttl, headers=headers)

    def auth_headers(self) -> dict[str, str]:
        """The bearer token (never cached with a response)."""
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _app(self) -> tuple[str, str]:
        return self._setting("AUTH_URL"), self._setting("CLIENT_ID")

    def _access_token(self) -> str:
        with self._token_lock:  # one token request per process, not one per thread
            cached = self._tokens.get(self._app())
            if cached is not None and time.monotonic() < cached[1]:
                return cached[0]
            token, lifetime = self._request_token()
            expires_at = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0.0)
            self._tokens[self._app()] = (token, expires_at)
            return token

    def _drop_token(self) -> None:
        with self._token_lock:
            self._tokens.pop(self._app(), None)

    def _request_token(self) -> tuple[str, float]:
        """A new token (client-credentials grant, HTTP Basic)."""
        payload = self.post_form(
            self._setting("AUTH_URL"),
            {"grant_type": "client_credentials"},
            endpoint="token",
            basic_auth=(self._setting("CLIENT_ID"), self._setting("CLIENT_SECRET")),
        )
        if payload is None:
            raise ConfigurationError(
                self.name, f"token: HTTP 404: check {self.settings_prefix}_AUTH_URL"
            )
        with parsing(self.name, "token"):
            body = as_dict(payload, "token")
            return get_str(body, "access_token"), float(get_int(body, "expires_in"))

    def _rejected(self, status: int, body: str) -> ConfigurationError:
        return ConfigurationError(
            self.name,
            f"token: HTTP {status}: {self.settings_prefix}_CLIENT_ID/SECRET rejected "
            f"({body[:200]})",
        )

    def auth_error(self, status: int, endpoint: str, body: str) -> SourceError:
        """Token refusals name the credentials; other 401/403s are the seam's."""
        if endpoint == "token":
            return self._rejected(status, body)
        return super().auth_error(status, endpoint, body)

    def client_error(self, status: int, endpoint: str, body: str) -> SourceError | None:
        """A 400 from the token endpoint (invalid_client) means the credentials are wrong."""
        if endpoint == "token":
            return self._rejected(status, body)
        return super().client_error(status, endpoint, body)
