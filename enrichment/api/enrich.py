"""POST /enrich, POST /enrich/batch, GET /enrich/batch/<id>: queue (or run) enrichment."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment import pipeline
from enrichment.api import batches, services
from enrichment.api.inputs import BatchInput, EnrichInput, enrich_request, indexed_errors
from enrichment.models import EnrichmentStatus

ERRORS = OpenApiResponse(description="Invalid input: messages per field (per index in a batch).")
NEEDS_AUTH = OpenApiResponse(description="Authentication required.")


class QueuedOutput(serializers.Serializer[Any]):
    """A queued request: the track, its job, or that a job was already waiting or running."""

    track_id = serializers.CharField(help_text="The caller's track_id, else ours.")
    job_id = serializers.IntegerField(allow_null=True)
    already_queued = serializers.BooleanField()
    status = serializers.CharField(help_text='"queued"')


class ResultOutput(serializers.Serializer[Any]):
    """The original service's result of one enrichment attempt."""

    track_id = serializers.CharField()
    status = serializers.ChoiceField(choices=EnrichmentStatus.Status.choices)
    sources_used = serializers.ListField(child=serializers.CharField())
    metadata_acquired = serializers.DictField(help_text="Each column this attempt filled.")
    # DRF's metaclass pops declared fields, so this does not shadow Serializer.errors.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    duration_seconds = serializers.FloatField()
    cached = serializers.BooleanField()
    timestamp = serializers.DateTimeField()


def result_body(result: pipeline.EnrichmentResult, acquired: dict[str, Any]) -> dict[str, Any]:
    """The seed's result shape: acquired values by column, errors as "source: message"."""
    errors = [f"{source}: {message}" for source, message in sorted(result.errors.items())]
    if not result.claimed:
        errors.append("track: another worker is enriching it right now")
    body = {
        "track_id": result.track_id,
        "status": result.status,
        "sources_used": result.sources_used,
        "metadata_acquired": acquired,
        "errors": errors,
        "duration_seconds": result.duration_seconds,
        "cached": result.cached,
        "timestamp": timezone.now(),
    }
    return dict(ResultOutput(body).data)


def queued_body(queued: services.Queued) -> dict[str, Any]:
    """One queued track as the API reports it."""
    body = {**vars(queued), "already_queued": queued.already_queued, "status": "queued"}
    body["track_id"] = queued.caller_track_id or str(queued.track_id)
    return dict(QueuedOutput(body).data)


class EnrichView(APIView):
    """Create or update one track and enrich it: queued (202) or at once with "sync" (200)."""

    @extend_schema(
        request=EnrichInput,
        responses={
            200: ResultOutput,
            202: QueuedOutput,
            400: ERRORS,
            401: NEEDS_AUTH,
            409: OpenApiResponse(description="Conflicts with stored data, or being enriched."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = EnrichInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrich = enrich_request(serializer.validated_data)
        try:
            if not serializer.validated_data["sync"]:
                return Response(queued_body(services.enqueue(enrich)), status.HTTP_202_ACCEPTED)
            result, acquired = services.enrich_now(enrich)
        except services.TrackConflict as conflict:
            return Response(conflict.errors, status.HTTP_409_CONFLICT)
        code = status.HTTP_200_OK if result.claimed else status.HTTP_409_CONFLICT
        body = result_body(result, acquired)
        body["track_id"] = services.echoed_track_id(enrich, result.track_id)
        return Response(body, code)


class BatchAcceptedOutput(serializers.Serializer[Any]):
    """A queued batch: its id (for progress), and each item's track and job."""

    batch_id = serializers.UUIDField()
    correlation_id = serializers.UUIDField(help_text="The batch id (the original field name).")
    status = serializers.CharField(help_text='"processing"')
    batch_size = serializers.IntegerField()
    queued = serializers.IntegerField()
    already_queued = serializers.IntegerField()
    items = QueuedOutput(many=True)
    message = serializers.CharField()


class EnrichBatchView(APIView):
    """Create or update many tracks and queue them: all items valid, or nothing is done."""

    @extend_schema(
        request=BatchInput(),
        responses={202: BatchAcceptedOutput, 400: ERRORS, 401: NEEDS_AUTH, 409: ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = BatchInput(data=request.data)
        if not serializer.is_valid():
            return Response(indexed_errors(serializer.errors), status.HTTP_400_BAD_REQUEST)
        try:
            batch, queued = services.submit_batch(
                [enrich_request(item) for item in serializer.validated_data]
            )
        except services.BatchConflict as conflict:
            return Response(conflict.errors, status.HTTP_409_CONFLICT)
        added = sum(not item.already_queued for item in queued)
        body = {
            "batch_id": batch.id,
            "correlation_id": batch.id,
            "status": "processing",
            "batch_size": len(queued),
            "queued": added,
            "already_queued": len(queued) - added,
            "items": [queued_body(item) for item in queued],
            "message": f"queued {added} job(s); {len(queued) - added} already queued",
        }
        return Response(BatchAcceptedOutput(body).data, status.HTTP_202_ACCEPTED)


class BatchProgressOutput(serializers.Serializer[Any]):
    """Where a batch stands: its tracks per enrichment status, its jobs per queue status."""

    batch_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    batch_size = serializers.IntegerField()
    statuses = serializers.DictField(child=serializers.IntegerField())
    jobs = serializers.DictField(child=serializers.IntegerField())
    settled = serializers.IntegerField(help_text="Tracks completed, partial or failed.")
    finished = serializers.BooleanField(help_text="No job waiting and every track settled.")


class BatchProgressView(APIView):
    """Progress of a batch submitted to POST /enrich/batch."""

    @extend_schema(
        parameters=[OpenApiParameter("batch_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: BatchProgressOutput, 400: ERRORS, 401: NEEDS_AUTH, 404: None},
    )
    def get(self, request: Request, batch_id: str) -> Response:
        try:
            parsed = uuid.UUID(batch_id)
        except ValueError:
            return Response({"batch_id": ["Must be a valid UUID."]}, status.HTTP_400_BAD_REQUEST)
        batch = batches.load(parsed)
        if batch is None:
            return Response({"detail": "No such batch (or expired)."}, status.HTTP_404_NOT_FOUND)
        return Response(BatchProgressOutput(batches.progress(batch)).data)
