"""Failed authentications counted per client address; too many in a window answer 429.

Wrong API tokens (enrichment.api.authentication) and failed admin logins (Django's
user_login_failed signal) both count. The counters live in the default cache, the database,
so every web process shares them. A fixed window per address: after AUTH_FAILURE_LIMIT
failures, every authentication attempt from it is refused, a valid one too (otherwise the
guessing would go on), until the window ends; Retry-After says when. Callers in
API_TRUSTED_NETWORKS are never counted nor refused: they need no credentials at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from enrichment.trusted_networks import client_address, is_trusted_address

TOO_MANY = 429


def _window() -> tuple[str, int]:
    """This window's key suffix and the seconds until it ends."""
    length = max(1, int(settings.AUTH_FAILURE_WINDOW))
    now = time.time()
    return str(int(now // length)), max(1, int(length - now % length))


def _key(address: str, window: str) -> str:
    return f"auth-failures:{address}:{window}"


def record_failure(request: Any) -> None:
    """Count one failed authentication from the request's address."""
    address = client_address(request)
    if is_trusted_address(address):
        return
    window, remaining = _window()
    key = _key(address, window)
    # add then incr: the database cache's incr is a read and a write, so two processes may
    # occasionally count one failure between them; the limit holds within a few attempts.
    cache.add(key, 0, remaining + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired in between: this failure opens the next window
        cache.add(key, 1, remaining + 1)


def retry_after(request: Any) -> int:
    """Seconds until the address may try again; 0 when it may now."""
    address = client_address(request)
    if is_trusted_address(address):
        return 0
    window, remaining = _window()
    failures = cache.get(_key(address, window), 0)
    return remaining if failures >= settings.AUTH_FAILURE_LIMIT else 0


@receiver(user_login_failed)
def count_failed_login(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    """A failed admin (or any Django) login counts against its address."""
    if request is not None:
        record_failure(request)


def throttled_login(view: Callable[..., Any]) -> Callable[..., Any]:
    """The login view, answering 429 to a login attempt from an address over the limit."""

    def login(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        wait = retry_after(request) if request.method == "POST" else 0
        if wait:
            response = HttpResponse(
                "Too many failed logins from this address; try again later.\n",
                status=TOO_MANY,
                content_type="text/plain",
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return login
