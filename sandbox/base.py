"""Socket-free request/response types and the context every simulated API reads."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.records import Catalogue
from sandbox.search import SearchIndex


@dataclass
class Request:
    """An HTTP request as the simulated APIs see it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Request:
        """Build from a request target such as "/api/v1/search?q=x" (first value wins)."""
        parts = urlsplit(target)
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, value)
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        return cls(method.upper(), parts.path, query, lowered, body)

    def header(self, name: str) -> str:
        """A header value, or "" when absent."""
        return self.headers.get(name.lower(), "")

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    """A status, headers and body; delay_s is how long the server waits before answering."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def json(self) -> Any:
        """The body decoded as JSON (for tests)."""
        return json.loads(self.body)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the content type the real APIs send."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, body, all_headers)


class TokenStore:
    """Spotify access tokens issued by the sandbox, with their expiry (thread-safe)."""

    def __init__(self, ttl_s: int = 3600, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new token valid for ttl_s seconds."""
        token = "sbx-" + secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = self.clock() + self.ttl_s
        return token

    def check(self, token: str) -> str:
        """Whether a token is "ok", "expired" or "invalid"."""
        expiry = self._expiry.get(token)
        if expiry is None:
            return "invalid"
        return "ok" if self.clock() < expiry else "expired"

    def expire_all(self) -> None:
        """Expire every issued token (drills for token refresh)."""
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, 0.0)


@dataclass
class Context:
    """What the API handlers share: the catalogue, its search index and runtime switches."""

    catalogue: Catalogue
    search: SearchIndex
    tokens: TokenStore
    features_forbidden: Callable[[], bool] = lambda: False
    recent_requests: Callable[[str, float], int] = lambda api, window_s: 0
    rate_per_s: Callable[[str], float | None] = lambda api: None
    # Lookup tables an API builds on first use (rebuilding twice in a race is harmless).
    cache: dict[str, Any] = field(default_factory=dict)
