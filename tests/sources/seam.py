"""A minimal adapter used to test the seam on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from enrichment.sources.base import NotFound, Source
from enrichment.sources.errors import RateLimited

BASE = "https://api.deezer.com"


class EchoSource(Source):
    """Deezer's settings, a generic body check: {"missing": true} means not found."""

    name = "deezer"
    secret_params = ("secret_param",)

    def check_body(self, endpoint: str, payload: Any) -> None:
        if isinstance(payload, dict) and payload.get("missing"):
            raise NotFound
        if isinstance(payload, dict) and payload.get("quota"):
            raise RateLimited(self.name, "quota in body", retry_after=2.0)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer very-secret-token"}

    def auth_params(self) -> dict[str, str]:
        return {"secret_param": "very-secret-param"}

    def lookup(self, item: str, *, ttl: timedelta | None = timedelta(days=90)) -> Any:
        return self.get_json(f"items/{item}", {"fields": "all"}, endpoint="items", ttl=ttl)
