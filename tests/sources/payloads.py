"""Payload factories for source tests: fixture bodies, variations of them, stored-row checks."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from enrichment.models import ApiCache

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@cache
def _read(api: str, name: str) -> Any:
    return json.loads((FIXTURES / api / f"{name}.json").read_text())


def payload(api: str, name: str, **changes: Any) -> Any:
    """A fresh copy of tests/fixtures/<api>/<name>.json with top-level keys changed."""
    body = copy.deepcopy(_read(api, name))
    body.update(changes)
    return body


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The body with some top-level keys removed."""
    return {key: value for key, value in body.items() if key not in keys}


def stored_rows() -> str:
    """Every api_cache row, as JSON text (to check no credential was stored)."""
    return json.dumps(list(ApiCache.objects.values()), default=str)


def sent_query(call: Any) -> dict[str, list[str]]:
    """The query parameters of one faked call."""
    return parse_qs(urlsplit(call.request.url or "").query)
