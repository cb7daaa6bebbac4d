"""Who may call what: writes need an authenticated client; reads too unless API_OPEN_READS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:  # DRF imports these modules while building its views
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ReadsOpenWritesAuthenticated(BasePermission):
    """Authenticated clients may do anything; anonymous ones may read when reads are open."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS and settings.API_OPEN_READS:
            return True
        return bool(request.user and request.user.is_authenticated)
