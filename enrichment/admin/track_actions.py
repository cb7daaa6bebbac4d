"""Changelist actions on tracks: a selection, or everything the filter matches ("select all")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from enrichment.admin.curation import (
    lock_fields,
    queue_enrichment,
    reset_retries,
    scale_bpm,
    unlock_fields,
)
from enrichment.admin.dj_library import export_library
from enrichment.admin.forms import LockFieldsForm
from enrichment.models import Track


@admin.action(
    description="Re-enrich (ask the sources that have not answered)", permissions=["enrich"]
)
def re_enrich(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    report = queue_enrichment(queryset)
    model_admin.message_user(request, report.message(), messages.SUCCESS)


@admin.action(
    description="Re-enrich from scratch (force refresh: every source, no cache)",
    permissions=["enrich"],
)
def re_enrich_force(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    report = queue_enrichment(queryset, force_refresh=True)
    model_admin.message_user(request, report.message(force_refresh=True), messages.SUCCESS)


@admin.action(description="Reset retries (failed tracks become pending)", permissions=["enrich"])
def reset(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    report = reset_retries(queryset)
    done = f"Reset retries of {report.changed} track(s)."
    model_admin.message_user(request, report.message(done), messages.SUCCESS)


@admin.action(description="Lock or unlock fields…", permissions=["change"])
def lock_or_unlock(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> Any:
    """Ask which fields (an intermediate page), then lock or unlock them (curation's batches)."""
    form = LockFieldsForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        operation, fields = form.chosen()
        change = lock_fields if operation == "lock" else unlock_fields
        report = change(queryset, fields)
        verb = "Locked" if operation == "lock" else "Unlocked"
        done = f"{verb} {', '.join(fields)} on {report.changed} track(s)."
        model_admin.message_user(request, report.message(done), messages.SUCCESS)
        return None
    selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Lock or unlock fields",
        "opts": model_admin.opts,
        "form": form,
        "selected": selected,
        "select_across": request.POST.get("select_across") == "1",
        "action": "lock_or_unlock",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/enrichment/lock_fields.html", context)


def _scale(
    model_admin: Any, request: HttpRequest, queryset: QuerySet[Track], factor: float
) -> None:
    report = scale_bpm(queryset, factor, request.user.get_username())
    verb = "Halved" if factor < 1 else "Doubled"
    done = f"{verb} the BPM of {report.changed} track(s) and locked it."
    model_admin.message_user(request, report.message(done), messages.SUCCESS)


@admin.action(description="Halve the BPM (and lock it)", permissions=["change"])
def halve_bpm(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    _scale(model_admin, request, queryset, 0.5)


@admin.action(description="Double the BPM (and lock it)", permissions=["change"])
def double_bpm(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> None:
    _scale(model_admin, request, queryset, 2.0)


TRACK_ACTIONS = [
    re_enrich,
    re_enrich_force,
    reset,
    lock_or_unlock,
    halve_bpm,
    double_bpm,
    export_library,
]
