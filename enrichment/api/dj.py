"""GET /tracks/export (a streamed DJ library) and GET /tracks/<id>/compatible (next tracks)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment.api.inputs import StrictSerializer
from enrichment.api.tracks import FILTERABLE, NEEDS_AUTH, TrackSummaryOutput, filter_data
from enrichment.compatible import Query, compatible_tracks
from enrichment.dj_formats.export import export_tracks, stream
from enrichment.dj_formats.keys import NOTATIONS
from enrichment.dj_formats.writers import CONTENT_TYPES, EXPORT_FORMATS, EXTENSIONS
from enrichment.models import EnrichmentStatus, Track


class ExportInput(StrictSerializer):
    """Query parameters of an export; status and has repeat or take comma-separated values."""

    format = serializers.ChoiceField(choices=EXPORT_FORMATS)
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=EnrichmentStatus.Status.choices), required=False
    )
    has = serializers.ListField(child=serializers.ChoiceField(choices=FILTERABLE), required=False)
    genre = serializers.CharField(required=False, max_length=100)
    key_notation = serializers.ChoiceField(choices=NOTATIONS, default="camelot")


class TrackExportView(APIView):
    """The selected tracks as a DJ library file, streamed."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # `format` names the file's format here, not DRF's renderer override: errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="tracks_export",
        parameters=[
            OpenApiParameter("format", str, required=True, enum=list(EXPORT_FORMATS)),
            OpenApiParameter("status", str, many=True, explode=True,
                             enum=EnrichmentStatus.Status.values),
            OpenApiParameter("has", str, many=True, explode=True, enum=list(FILTERABLE)),
            OpenApiParameter("genre", str, description="Genre, case aside."),
            OpenApiParameter("key_notation", str, enum=list(NOTATIONS),
                             description='Camelot "8A" (default), Open Key "1m", musical "Am".'),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file (Rekordbox XML, NML, M3U, CSV, JSONL)."
            ),
            400: OpenApiResponse(description="Bad parameter."), 401: NEEDS_AUTH,
        },
    )  # fmt: skip
    def get(self, request: Request) -> StreamingHttpResponse:
        query = ExportInput(data=filter_data(request.query_params))
        query.is_valid(raise_exception=True)
        options = query.validated_data
        tracks = export_tracks(
            options.get("status", ()), options.get("has", ()), options.get("genre")
        )
        fmt = options["format"]
        response = StreamingHttpResponse(
            stream(fmt, tracks, options["key_notation"]), content_type=CONTENT_TYPES[fmt]
        )
        extension = EXTENSIONS.get(fmt, fmt)
        response["Content-Disposition"] = f'attachment; filename="tracks.{extension}"'
        return response


class CompatibleInput(StrictSerializer):
    """Query parameters of a compatible-tracks search."""

    bpm_window = serializers.FloatField(
        min_value=0.1, max_value=50, default=6.0,
        help_text="Percent of the track's BPM (half and double time fold in).",
    )  # fmt: skip
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    energy_boost = serializers.BooleanField(default=False, help_text="Also +2 on the wheel.")


class CompatibleTrackOutput(TrackSummaryOutput):
    """A compatible track, with how far it is from the one asked about."""

    key_distance = serializers.IntegerField(help_text="0 same key, 1 neighbour, 2 energy boost.")
    bpm_distance = serializers.FloatField(help_text="Percent, after folding half/double time.")
    energy = serializers.FloatField(allow_null=True)

    class Meta:
        model = Track
        fields = (
            *TrackSummaryOutput.Meta.fields, "energy", "key_distance", "bpm_distance",
        )  # fmt: skip


class CompatibleView(APIView):
    """Tracks that mix harmonically with this one, best first."""

    @extend_schema(
        operation_id="tracks_compatible",
        parameters=[
            OpenApiParameter("track_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                             description="Our id (a UUID) or the caller's own track_id."),
            OpenApiParameter("bpm_window", float,
                             description="Percent of the BPM, 0.1..50 (default 6)."),
            OpenApiParameter("limit", int, description="1..100 (default 20)."),
            OpenApiParameter("energy_boost", bool, description="Include +2 on the wheel."),
        ],
        responses={200: CompatibleTrackOutput(many=True),
                   400: OpenApiResponse(description="Bad parameter (named)."),
                   401: NEEDS_AUTH, 404: OpenApiResponse(description="No such track.")},
    )  # fmt: skip
    def get(self, request: Request, track_id: str) -> Response:
        query = CompatibleInput(data=filter_data(request.query_params))
        query.is_valid(raise_exception=True)
        track = Track.objects.by_track_id(track_id)
        if track is None:
            return Response({"detail": "No such track."}, status.HTTP_404_NOT_FOUND)
        found = compatible_tracks(track, Query(**query.validated_data))
        return Response(
            CompatibleTrackOutput(found.select_related("enrichment_status"), many=True).data
        )
