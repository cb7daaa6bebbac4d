"""GET /stats: coverage of every identifier and feature, and statuses, in two queries."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment.coverage import cached_statistics
from enrichment.models import EnrichmentStatus


class StatusCountOutput(serializers.Serializer[Any]):
    """Tracks in one enrichment status."""

    status = serializers.ChoiceField(choices=EnrichmentStatus.Status.choices)
    count = serializers.IntegerField()
    avg_retries = serializers.FloatField()


class StatsOutput(serializers.Serializer[Any]):
    """Counts (total_tracks, with_<field>, awaiting_review), coverage percentages, and when."""

    track_stats = serializers.DictField(child=serializers.IntegerField())
    coverage = serializers.DictField(child=serializers.FloatField(), help_text="Percent.")
    enrichment_status = StatusCountOutput(many=True)
    timestamp = serializers.DateTimeField()


class StatsView(APIView):
    """Enrichment coverage of the catalogue."""

    @extend_schema(
        responses={200: StatsOutput, 401: OpenApiResponse(description="Authentication required.")}
    )
    def get(self, request: Request) -> Response:
        return Response(StatsOutput(cached_statistics()).data)
