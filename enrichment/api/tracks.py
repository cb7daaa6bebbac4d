"""GET /tracks (filtered by status, has/lacks a field, search; paginated) and /tracks/<id>."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db.models import Q, QuerySet
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment import track_metadata
from enrichment.api.inputs import StrictSerializer
from enrichment.coverage import COVERED, METADATA_KEYS
from enrichment.models import ISRC_REGEX, SPOTIFY_ID_REGEX, EnrichmentStatus, Track

FILTERABLE = (*COVERED, track_metadata.REVIEW_KEY)
LIST_PARAMETERS = ("status", "has", "lacks")
MAX_BIGINT = 2**63 - 1


def present(name: str) -> Q:
    """The condition "this track has a value for `name`" (a column or a metadata key)."""
    if name in METADATA_KEYS:
        return track_metadata.has_key(name)
    field = Track._meta.get_field(name)
    if isinstance(field, ArrayField):  # an empty list means none
        return Q(**{f"{name}__len__gt": 0})
    return Q(**{f"{name}__isnull": False}) if field.null else ~Q(**{name: ""})


class TrackPagination(PageNumberPagination):
    """50 tracks a page; `page_size` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class TrackFilterInput(StrictSerializer):
    """Query parameters; status, has and lacks repeat or take comma-separated values."""

    status = serializers.ListField(
        child=serializers.ChoiceField(choices=EnrichmentStatus.Status.choices), required=False
    )
    has = serializers.ListField(child=serializers.ChoiceField(choices=FILTERABLE), required=False)
    lacks = serializers.ListField(child=serializers.ChoiceField(choices=FILTERABLE), required=False)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Artist or title text, or an ISRC or any id.",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)


def filter_data(query: QueryDict) -> dict[str, Any]:
    """Query parameters as plain data: list parameters split on commas, others their last value."""
    data: dict[str, Any] = {}
    for name in query:
        values = query.getlist(name)
        if name in LIST_PARAMETERS:
            data[name] = [part for value in values for part in value.split(",") if part]
        else:
            data[name] = values[-1]
    return data


def search_condition(text: str) -> Q:
    """Artist or title containing the text, or an exact identifier match."""
    condition = Q(artist_name__icontains=text) | Q(title__icontains=text) | Q(external_id=text)
    isrc = text.replace("-", "").upper()
    if re.fullmatch(ISRC_REGEX, isrc):
        condition |= Q(isrc=isrc)
    if re.fullmatch(SPOTIFY_ID_REGEX, text):
        condition |= Q(spotify_id=text)
    if text.isascii() and text.isdigit() and int(text) <= MAX_BIGINT:
        condition |= Q(discogs_id=int(text)) | Q(deezer_id=int(text))
    try:
        as_uuid = uuid.UUID(text)
    except ValueError:
        return condition
    return condition | Q(pk=as_uuid) | Q(musicbrainz_id=as_uuid)


def filtered_tracks(filters: dict[str, Any]) -> QuerySet[Track]:
    """Tracks matching every filter, in a stable order for paging."""
    tracks = Track.objects.select_related("enrichment_status")
    if filters.get("status"):
        tracks = tracks.filter(enrichment_status__status__in=filters["status"])
    for name in filters.get("has", ()):
        tracks = tracks.filter(present(name))
    for name in filters.get("lacks", ()):
        tracks = tracks.exclude(present(name))
    if filters.get("search", "").strip():
        tracks = tracks.filter(search_condition(filters["search"].strip()))
    return tracks.order_by("artist_name", "title", "id")


TRACK_ID_HELP = "The caller's id for the track (external_id), else ours (id)."


class StatusOutput(serializers.ModelSerializer[EnrichmentStatus]):
    """Where the track stands in enrichment, with each source's last outcome."""

    class Meta:
        model = EnrichmentStatus
        exclude = ("track",)


class TrackSummaryOutput(serializers.ModelSerializer[Track]):
    """A track in a list."""

    status = serializers.CharField(source="enrichment_status.status", allow_null=True)
    track_id = serializers.CharField(read_only=True, help_text=TRACK_ID_HELP)

    class Meta:
        model = Track
        fields = (
            "id", "track_id", "artist_name", "title", "spotify_id", "isrc", "musicbrainz_id", "bpm",
            "key", "camelot_key", "label", "release_date", "genre", "genres", "status",
            "updated_at",
        )  # fmt: skip


class TrackDetailOutput(serializers.ModelSerializer[Track]):
    """Every typed field, metadata (provenance, review, tags), locks, and the status."""

    enrichment_status = StatusOutput(allow_null=True)
    track_id = serializers.CharField(read_only=True, help_text=TRACK_ID_HELP)

    class Meta:
        model = Track
        fields = "__all__"


class TrackPageOutput(serializers.Serializer[Any]):
    """One page of tracks."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TrackSummaryOutput(many=True)


NEEDS_AUTH = OpenApiResponse(description="Authentication required.")
QUERY = [
    *(
        OpenApiParameter(name, str, many=True, enum=choices, explode=True, description=text)
        for name, choices, text in (
            ("status", EnrichmentStatus.Status.values, "Enrichment status is one of these."),
            ("has", list(FILTERABLE), "Has a value for every one of these."),
            ("lacks", list(FILTERABLE), "Has no value for any of these."),
        )
    ),
    OpenApiParameter("search", str, description="Artist or title text, or an ISRC or any id."),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 500 (default 50)."),
]


class TrackListView(APIView):
    """Tracks, filtered and paginated."""

    @extend_schema(
        operation_id="tracks_list",
        parameters=QUERY,
        responses={200: TrackPageOutput, 400: OpenApiResponse(description="Bad filter."),
                   401: NEEDS_AUTH, 404: OpenApiResponse(description="No such page.")},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        filters = TrackFilterInput(data=filter_data(request.query_params))
        filters.is_valid(raise_exception=True)
        paginator = TrackPagination()
        page = paginator.paginate_queryset(filtered_tracks(filters.validated_data), request, self)
        return paginator.get_paginated_response(TrackSummaryOutput(page, many=True).data)


class TrackDetailView(APIView):
    """One track with everything known about it."""

    @extend_schema(
        parameters=[OpenApiParameter(
            "track_id", OpenApiTypes.STR, OpenApiParameter.PATH,
            description="Our id (a UUID) or the caller's own (the track_id it sent).",
        )],
        responses={200: TrackDetailOutput, 401: NEEDS_AUTH,
                   404: OpenApiResponse(description="No such track.")},
    )  # fmt: skip
    def get(self, request: Request, track_id: str) -> Response:
        track = Track.objects.select_related("enrichment_status").by_track_id(track_id)
        if track is None:
            return Response({"detail": "No such track."}, status.HTTP_404_NOT_FOUND)
        return Response(TrackDetailOutput(track).data)
