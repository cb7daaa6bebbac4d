"""The admin's DJ library tools: export action, import upload with a dry-run preview, mix panel."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ModelAdmin, helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from enrichment.admin.permissions import CHANGE, ENRICH, require
from enrichment.compatible import Query, compatible_tracks
from enrichment.dj_formats.export import stream
from enrichment.dj_formats.keys import NOTATIONS
from enrichment.dj_formats.reading import FORMATS, read_any
from enrichment.dj_formats.writers import CONTENT_TYPES, EXPORT_FORMATS, EXTENSIONS
from enrichment.importing import ImportReport, import_rows
from enrichment.models import Track

UPLOADS = Path(tempfile.gettempdir()) / "songnodes-imports"
MAX_UPLOAD = 200 * 1024 * 1024
PREVIEW_ERRORS = 50  # refused entries listed on the preview page
SESSION_KEY = "songnodes_import"


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(name, name) for name in EXPORT_FORMATS])
    key_notation = forms.ChoiceField(choices=[(name, name) for name in NOTATIONS])


class UploadForm(forms.Form):
    file = forms.FileField(help_text="Rekordbox XML, Traktor NML, M3U/M3U8, CSV or JSON lines")
    format = forms.ChoiceField(
        choices=[("", "detect"), *((name, name) for name in FORMATS)], required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"larger than {MAX_UPLOAD // 1024 // 1024} MB")
        return upload


@admin.action(
    description="Export as a DJ library (Rekordbox, Traktor, M3U, CSV, JSONL)…",
    permissions=["change"],
)
def export_library(model_admin: Any, request: HttpRequest, queryset: QuerySet[Track]) -> Any:
    """Ask for a format and a key notation, then stream the selection (or the filter's tracks)."""
    form = ExportForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        fmt = form.cleaned_data["format"]
        tracks = queryset.order_by("artist_name", "title", "id")
        response = StreamingHttpResponse(
            stream(fmt, tracks, form.cleaned_data["key_notation"]), content_type=CONTENT_TYPES[fmt]
        )
        name = f"tracks.{EXTENSIONS.get(fmt, fmt)}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Export as a DJ library",
        "opts": model_admin.opts,
        "form": form,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across") == "1",
        "action": "export_library",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/enrichment/export_library.html", context)


def _run(path: Path, fmt: str | None, *, dry_run: bool) -> ImportReport:
    """Import the file; a dry run does everything in a transaction it then rolls back."""
    report = ImportReport()
    with transaction.atomic():
        import_rows(read_any(path, None, fmt), report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def import_view(request: HttpRequest, *, model_admin: ModelAdmin[Any]) -> Any:
    """Upload (preview: what would be created, updated, refused), then confirm to import."""
    require(request, CHANGE, ENRICH)  # Curators
    pending = request.session.get(SESSION_KEY)
    if request.method == "POST" and "confirm" in request.POST and pending:
        path = UPLOADS / f"{pending['token']}.upload"
        if not path.is_file():
            messages.error(request, "The uploaded file is gone: upload it again.")
            return HttpResponseRedirect(request.path)
        report = _run(path, pending["format"] or None, dry_run=False)
        path.unlink(missing_ok=True)
        del request.session[SESSION_KEY]
        level = messages.WARNING if report.errors or report.file_error else messages.SUCCESS
        messages.add_message(request, level, f"Imported {pending['name']}: {_summary(report)}")
        return HttpResponseRedirect(reverse("admin:enrichment_track_changelist"))
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Import a DJ library",
        "opts": model_admin.opts,
        "form": form,
    }
    if request.method == "POST" and form.is_valid():
        token, upload = uuid.uuid4().hex, form.cleaned_data["file"]
        UPLOADS.mkdir(parents=True, exist_ok=True)
        path = UPLOADS / f"{token}.upload"
        with path.open("wb") as saved:
            for chunk in upload.chunks():
                saved.write(chunk)
        fmt = form.cleaned_data["format"] or None
        report = _run(path, fmt, dry_run=True)
        request.session[SESSION_KEY] = {"token": token, "format": fmt or "", "name": upload.name}
        context.update(report=report, summary=_summary(report), name=upload.name,
                       errors=report.errors[:PREVIEW_ERRORS])  # fmt: skip
    return TemplateResponse(request, "admin/enrichment/import_library.html", context)


def _summary(report: ImportReport) -> str:
    text = (
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} refused"
    )
    return text + (f"; reading stopped: {report.file_error}" if report.file_error else "")


def compatible_panel(track: Track) -> dict[str, Any]:
    """Context for the track page's "Mixes with" panel (the ten best compatible tracks)."""
    return {"compatible": list(compatible_tracks(track, Query(limit=10)))}
