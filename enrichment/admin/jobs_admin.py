"""Procrastinate's job admin, kept usable at scale and read-only for viewers.

Its `lock` and `queueing_lock` filters list every distinct value (one link per job: tens of
megabytes at a few hundred thousand jobs), and its retry/cancel/abort actions carry no
permission. Re-registered here without those filters (`?queueing_lock=enrich:<track id>` still
narrows the list: lookups on the model's own fields are allowed) and with its actions for
curators only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from procrastinate.contrib.django import admin as procrastinate_admin
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment.admin.paginator import EstimatedCountPaginator
from enrichment.admin.permissions import ENRICH


class JobAdmin(procrastinate_admin.ProcrastinateJobAdmin):
    list_filter = ["status", "queue_name", "task_name", "priority"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Retry, cancel and abort change the queue: curators only."""
        return super().get_actions(request) if request.user.has_perm(ENRICH) else {}


if admin.site.is_registered(ProcrastinateJob):
    admin.site.unregister(ProcrastinateJob)
admin.site.register(ProcrastinateJob, JobAdmin)
