"""`Authorization: Token <token>` checked against stored digests, wrong tokens throttled;
requests from API_TRUSTED_NETWORKS authenticated as an internal caller without one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.authentication import (
    BaseAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed, Throttled

from enrichment.auth_failures import record_failure, retry_after
from enrichment.tokens import ApiToken, token_digest
from enrichment.trusted_networks import client_address, is_trusted

if TYPE_CHECKING:  # DRF imports these modules while building its views
    from rest_framework.request import Request


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's token scheme over ApiToken digests; too many wrong tokens from an address: 429."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: not an attempt to count
        wait = retry_after(request)
        if wait:
            raise Throttled(wait, "Too many failed authentications from this address.")
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            record_failure(request)
            raise

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        try:
            token = ApiToken.objects.select_related("user").get(digest=token_digest(key))
        except ApiToken.DoesNotExist:
            raise AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token


class InternalCaller:
    """Who an untokened request from API_TRUSTED_NETWORKS is: authenticated, no other rights."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, address: str) -> None:
        self.address = address
        self.username = f"internal:{address}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """No Django permission (the admin stays closed to it)."""
        return False


class TrustedNetworkAuthentication(BaseAuthentication):
    """Last in line: a request with no credentials from a trusted network is an internal caller."""

    def authenticate(self, request: Request) -> tuple[InternalCaller, None] | None:
        if not is_trusted(request):
            return None
        return InternalCaller(client_address(request)), None
