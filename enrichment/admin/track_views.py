"""One-track endpoints behind the track page's buttons and the review queue's forms (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from enrichment.admin.curation import queue_enrichment, reset_retries
from enrichment.admin.notes import DECISIONS, NoteGone, resolve
from enrichment.admin.permissions import CHANGE, ENRICH, require
from enrichment.admin.reviews import ReviewGone, accept_candidate, reject_candidates
from enrichment.models import Track


def _track(model_admin: ModelAdmin[Any], request: HttpRequest, object_id: str) -> Track:
    track = model_admin.get_object(request, object_id)
    if track is None:
        raise Http404("No such track")
    return track


def _back(request: HttpRequest, track: Track) -> HttpResponseRedirect:
    """To the page the form came from (if it is ours), else to the track."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        target = reverse("admin:enrichment_track_change", args=[track.pk])
    return HttpResponseRedirect(target)


@require_POST
def enrich_view(request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Any]) -> Any:
    """Queue this track (force_refresh=1 asks every source again, bypassing the cache)."""
    require(request, ENRICH)
    track = _track(model_admin, request, object_id)
    force_refresh = request.POST.get("force_refresh") == "1"
    report = queue_enrichment(Track.objects.filter(pk=track.pk), force_refresh=force_refresh)
    messages.success(request, report.message(force_refresh))
    return _back(request, track)


@require_POST
def reset_view(request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Any]) -> Any:
    """Give this track its retries back."""
    require(request, ENRICH)
    track = _track(model_admin, request, object_id)
    report = reset_retries(Track.objects.filter(pk=track.pk))
    messages.success(request, f"Reset retries of {report.changed} track(s).")
    return _back(request, track)


@require_POST
def accept_view(
    request: HttpRequest, object_id: str, provider: str, *, model_admin: ModelAdmin[Any]
) -> Any:
    """Accept one review candidate for this track."""
    require(request, ENRICH, CHANGE)
    track = _track(model_admin, request, object_id)
    identifier = request.POST.get("identifier", "")
    try:
        outcome = accept_candidate(track.pk, provider, identifier, request.user.get_username())
    except (ReviewGone, ValidationError) as error:
        messages.error(request, f"Nothing accepted for {track}: {_reason(error)}")
    else:
        verb = f"Accepted {provider} {identifier} for {track}"
        messages.success(request, outcome.message(verb))
    return _back(request, track)


@require_POST
def reject_view(
    request: HttpRequest, object_id: str, provider: str, *, model_admin: ModelAdmin[Any]
) -> Any:
    """Reject every candidate a provider proposed for this track."""
    require(request, ENRICH, CHANGE)
    track = _track(model_admin, request, object_id)
    try:
        outcome = reject_candidates(track.pk, provider, request.user.get_username())
    except ReviewGone as error:
        messages.error(request, f"Nothing rejected for {track}: {error}")
    else:
        messages.success(
            request, outcome.message(f"Rejected the {provider} candidates for {track}")
        )
    return _back(request, track)


@require_POST
def note_view(
    request: HttpRequest, object_id: str, kind: str, source: str, *, model_admin: ModelAdmin[Any]
) -> Any:
    """Keep the noted ISRC on this track, or dismiss the note (decision=kept|dismissed)."""
    require(request, ENRICH, CHANGE)
    track = _track(model_admin, request, object_id)
    decision = next((d for d in DECISIONS if d == request.POST.get("decision")), None)
    if decision is None:
        messages.error(request, f"Nothing changed: decision must be one of {', '.join(DECISIONS)}")
        return _back(request, track)
    try:
        note = resolve(track.pk, kind, source, decision, request.user.get_username())
    except (NoteGone, ValueError) as error:
        messages.error(request, f"Nothing changed on {track}: {error}")
    else:
        done = "Kept ISRC" if decision == "kept" else "Dismissed the note on"
        messages.success(request, f"{done} {note['identifier']} on {track}.")
    return _back(request, track)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)
