"""REST routes at the original service's paths (no trailing slash), plus tracks and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from enrichment.api.dj import CompatibleView, TrackExportView
from enrichment.api.enrich import BatchProgressView, EnrichBatchView, EnrichView
from enrichment.api.health import HealthView
from enrichment.api.prometheus import metrics_view
from enrichment.api.schema import TrustedNetworkScheme  # noqa: F401 (registers on import)
from enrichment.api.stats import StatsView
from enrichment.api.tracks import TrackDetailView, TrackListView

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("enrich", EnrichView.as_view(), name="enrich"),
    path("enrich/batch", EnrichBatchView.as_view(), name="enrich-batch"),
    path("enrich/batch/<str:batch_id>", BatchProgressView.as_view(), name="enrich-batch-progress"),
    path("stats", StatsView.as_view(), name="stats"),
    path("tracks", TrackListView.as_view(), name="track-list"),
    path("tracks/export", TrackExportView.as_view(), name="track-export"),
    path("tracks/<path:track_id>/compatible", CompatibleView.as_view(), name="track-compatible"),
    path("tracks/<path:track_id>", TrackDetailView.as_view(), name="track-detail"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
