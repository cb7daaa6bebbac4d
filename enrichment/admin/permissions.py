"""Who may do what in the curator admin (staff only; the groups come from migration 0004)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

ENRICH = "enrichment.enrich_track"  # queue enrichment, reset retries, decide reviews
CHANGE = "enrichment.change_track"  # edit fields, lock and unlock them
VIEW = "enrichment.view_track"
PURGE_CACHE = "enrichment.delete_apicache"
VIEW_JOBS = "procrastinate.view_procrastinatejob"


def can_enrich(request: HttpRequest) -> bool:
    """May this user queue enrichment and reset retries?"""
    return request.user.has_perm(ENRICH)


def can_review(request: HttpRequest) -> bool:
    """May this user accept or reject review candidates (writes identifiers, queues jobs)?"""
    return request.user.has_perms([ENRICH, CHANGE])


def require(request: HttpRequest, *permissions: str) -> None:
    """Raise PermissionDenied (403) unless the user holds every permission."""
    if not request.user.has_perms(permissions):
        raise PermissionDenied
