"""POST /enrich, POST /enrich/batch, GET /enrich/batch/<id>: queue enrichment, or wait for it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment.api import batches, services, waiting
from enrichment.api.inputs import (
    BatchInput,
    EnrichInput,
    enrich_request,
    indexed_errors,
    log_ignored,
)
from enrichment.attempt_reports import AttemptReport
from enrichment.logging import current_context, log_context
from enrichment.models import EnrichmentStatus

logger = logging.getLogger(__name__)

ERRORS = OpenApiResponse(description="Invalid input: messages per field (per index in a batch).")
NEEDS_AUTH = OpenApiResponse(description="Authentication required.")


class QueuedOutput(serializers.Serializer[Any]):
    """A queued request: the track, its job, or that a job was already waiting or running."""

    track_id = serializers.CharField(help_text="The caller's track_id, else ours.")
    job_id = serializers.IntegerField(
        allow_null=True, help_text="The job to follow (null: one was already queued)."
    )
    already_queued = serializers.BooleanField()
    status = serializers.CharField(help_text='"queued"')
    correlation_id = serializers.CharField(required=False, allow_null=True)
    message = serializers.CharField(required=False)


class ResultOutput(serializers.Serializer[Any]):
    """The original service's result of one enrichment attempt."""

    track_id = serializers.CharField()
    status = serializers.ChoiceField(choices=EnrichmentStatus.Status.choices)
    sources_used = serializers.ListField(child=serializers.CharField())
    metadata_acquired = serializers.DictField(
        help_text="The track's known enriched values after the attempt, by column."
    )
    # DRF's metaclass pops declared fields, so this does not shadow Serializer.errors.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    duration_seconds = serializers.FloatField()
    cached = serializers.BooleanField(help_text="The attempt needed no upstream call.")
    timestamp = serializers.DateTimeField()
    correlation_id = serializers.CharField(allow_null=True)
    job_id = serializers.IntegerField()


def result_body(
    track_id: str,
    job_id: int,
    report: AttemptReport,
    acquired: tuple[dict[str, Any], list[str]],
) -> dict[str, Any]:
    """The seed's result shape: known values by column and the providers behind them (also
    those a re-run did not need to ask again), errors as "source: message"."""
    values, suppliers = acquired
    errors = [f"{source}: {message}" for source, message in sorted(report["errors"].items())]
    if not report["claimed"]:
        errors.append("track: another worker is enriching it right now")
    body = {
        "track_id": track_id,
        "status": report["status"],
        "sources_used": sorted({*report["sources_used"], *suppliers}),
        "metadata_acquired": values,
        "errors": errors,
        "duration_seconds": report["duration_seconds"],
        "cached": report["cached"],
        "timestamp": timezone.now(),
        "correlation_id": current_context().get("correlation_id"),
        "job_id": job_id,
    }
    return dict(ResultOutput(body).data)


def queued_body(queued: services.Queued, **extra: Any) -> dict[str, Any]:
    """One queued track as the API reports it."""
    body = {
        "track_id": queued.caller_track_id or str(queued.track_id),
        "job_id": queued.job_id,
        "already_queued": queued.already_queued,
        "status": "queued",
        **extra,
    }
    return dict(QueuedOutput(body).data)


def given_correlation_id(data: Any) -> str | None:
    """The body's correlation_id for the log context (before validation: its messages too)."""
    value = data.get("correlation_id") if isinstance(data, dict) else None
    return value[:200] if isinstance(value, str) and value else None


def prefers_async(request: Request) -> bool:
    """Did the caller send `Prefer: respond-async` (RFC 7240)?"""
    header = request.headers.get("Prefer", "")
    words = (
        word.split("=")[0].strip().lower() for part in header.split(",") for word in part.split(";")
    )
    return "respond-async" in words


class EnrichView(APIView):
    """Create or update one track and enrich it: the attempt's result (200), or its job (202).

    By default the request defers a high-priority job and waits for its attempt, at most
    ENRICH_SYNC_TIMEOUT seconds (ENRICH_SYNC_MAX_WAITERS per web process at once); on
    timeout, or with `"sync": false` or `Prefer: respond-async`, it answers 202 with the job.
    """

    @extend_schema(
        request=EnrichInput,
        parameters=[
            OpenApiParameter(
                "Prefer",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description='respond-async: answer 202 at once, as with "sync": false.',
            )
        ],
        responses={
            200: ResultOutput,
            202: QueuedOutput,
            400: ERRORS,
            401: NEEDS_AUTH,
            409: OpenApiResponse(description="Conflicts with stored data, or being enriched."),
        },
    )
    def post(self, request: Request) -> Response:
        with log_context(correlation_id=given_correlation_id(request.data)):
            serializer = EnrichInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            log_ignored(serializer.ignored_fields)
            return self._enrich(request, serializer.validated_data)

    def _enrich(self, request: Request, data: dict[str, Any]) -> Response:
        enrich = enrich_request(data)
        waits = data["sync"] and not prefers_async(request)
        try:
            queued = services.enqueue(enrich, waiting=waits)
        except services.TrackConflict as conflict:
            return Response(conflict.errors, status.HTTP_409_CONFLICT)
        correlation = current_context().get("correlation_id")
        job_id = queued.job_id or queued.existing_job_id
        if not waits or job_id is None:
            headers = {"Preference-Applied": "respond-async"} if prefers_async(request) else {}
            body = queued_body(queued, correlation_id=correlation)
            return Response(body, status.HTTP_202_ACCEPTED, headers=headers)
        report = self._wait(job_id, queued)
        if report is None:
            message = "still running: follow the job, or GET /tracks/<track_id> later"
            body = queued_body(queued, correlation_id=correlation, message=message)
            body["job_id"] = job_id
            return Response(body, status.HTTP_202_ACCEPTED)
        track_id = services.echoed_track_id(enrich, queued.track_id)
        acquired = services.known_values(queued.track_id)
        code = status.HTTP_200_OK if report["claimed"] else status.HTTP_409_CONFLICT
        return Response(result_body(track_id, job_id, report, acquired), code)

    @staticmethod
    def _wait(job_id: int, queued: services.Queued) -> AttemptReport | None:
        with waiting.waiter_slot() as slot:
            if not slot:
                logger.info(
                    "all %d sync waiters busy: job %d answered 202",
                    settings.ENRICH_SYNC_MAX_WAITERS,
                    job_id,
                )
                return None
            return waiting.wait_for_attempt(
                job_id, str(queued.track_id), settings.ENRICH_SYNC_TIMEOUT
            )


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
        log_ignored(getattr(serializer.child, "ignored_fields", set()))
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
