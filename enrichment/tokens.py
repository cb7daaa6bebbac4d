"""API tokens, stored only as their SHA-256 digest: the token itself is shown once, at issue.

SHA-256, not a slow password hash: a token is 160 random bits, so no dictionary or brute
force can reach it however fast the hash is, while a slow hash (PBKDF2, argon2) would cost
every API request tens of milliseconds, hand a flood of wrong tokens the server's CPU, and,
being salted, could not be looked up by an index. What the digest protects against is a
leaked database dump or backup turning into working credentials.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_BYTES = 20  # 40 hex characters, as DRF's tokens were


def token_digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A user's API token (one per user), known only by its digest."""

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"


def issue_token(user: User) -> str:
    """Give the user a new token (replacing any old one); the only time it is readable."""
    token = secrets.token_hex(TOKEN_BYTES)
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, digest=token_digest(token))
    return token
