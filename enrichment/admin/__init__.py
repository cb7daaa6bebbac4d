"""The curator admin: dashboard, tracks, review queue, statuses, API cache, breakers, jobs."""

from django.contrib import admin

from enrichment.admin import cache_admin, jobs_admin, status_admin, track_admin

__all__ = ["cache_admin", "jobs_admin", "status_admin", "track_admin"]

admin.site.site_header = "SongNodes curation"
admin.site.site_title = "SongNodes"
admin.site.index_title = "Catalogue"
