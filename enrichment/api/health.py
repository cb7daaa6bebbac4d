"""GET /health: database, queue depth, each source's configuration and breaker; no upstream call.

"degraded" only when something the operator enabled is broken: an enabled source's open (or
half-open) breaker, or an unreachable Redis response cache. A source switched off, or one
without its (optional) credentials, is reported per source but degrades nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment.models import ACTIVE_JOB_STATUSES, CircuitBreakerState, jobs
from enrichment.sources.registry import configured_sources

logger = logging.getLogger(__name__)
SERVICE = "metadata-enrichment"  # the original service's name, which its probes check
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# Listed in api_clients as the original did; it has no public API, so it is never queried.
UNSUPPORTED_CLIENTS = {"beatport": "unsupported"}
HEALTH_STATES = HEALTHY, DEGRADED, UNHEALTHY = ("healthy", "degraded", "unhealthy")
Breaker = CircuitBreakerState.State


def database_problem() -> str | None:
    """None when the database answers, else the kind of error (details go to the log)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("health: database unreachable: %s", error)
        return type(error).__name__
    return None


def redis_problem() -> str | None:
    """None when the Redis response cache (HTTP_CACHE=redis://...) answers a PING."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(settings.HTTP_CACHE, socket_connect_timeout=2, socket_timeout=2).ping()
    except (RedisError, OSError) as error:
        logger.error("health: redis unreachable: %s", error)
        return type(error).__name__
    return None


def connections() -> dict[str, str]:
    """The database (reachable, or we would not be here) and the Redis cache if configured."""
    found = {"database": HEALTHY}
    if str(settings.HTTP_CACHE).startswith(REDIS_SCHEMES):
        problem = redis_problem()
        found["redis"] = f"{UNHEALTHY}: {problem}" if problem else HEALTHY
    return found


def queue_depth() -> dict[str, int]:
    """Enrichment jobs waiting (todo) and running (doing)."""
    counts = jobs().enrichment().active().counts()
    return {status: counts[status] for status in ACTIVE_JOB_STATUSES}


def source_report() -> dict[str, dict[str, Any]]:
    """Each source: enabled, configured (or what is missing), breaker state, verdict."""
    problems = configured_sources()
    breakers = CircuitBreakerState.objects.states(problems)
    enabled = set(settings.ENRICHMENT_SOURCES)
    report: dict[str, dict[str, Any]] = {}
    for name, problem in problems.items():
        breaker = breakers[name]
        usable = problem is None and breaker == Breaker.CLOSED
        verdict = HEALTHY if usable else ("unconfigured" if problem else breaker)
        report[name] = {
            "enabled": name in enabled,
            "configured": problem is None,
            "problem": problem,
            "breaker": breaker,
            "status": verdict if name in enabled else "disabled",
        }
    return report


def health() -> tuple[dict[str, Any], int]:
    """The health body and its HTTP status: 503 only when the database is unreachable."""
    body: dict[str, Any] = {
        "service": SERVICE,
        "timestamp": timezone.now(),
        "version": settings.SPECTACULAR_SETTINGS["VERSION"],
    }
    problem = database_problem()
    if problem:
        body.update(status=UNHEALTHY, connections={"database": f"unhealthy: {problem}"})
        return body, status.HTTP_503_SERVICE_UNAVAILABLE
    sources = source_report()
    links = connections()
    down = any(s["enabled"] and s["breaker"] != Breaker.CLOSED for s in sources.values())
    down = down or any(state != HEALTHY for state in links.values())
    depth = queue_depth()
    body.update(
        status=DEGRADED if down else HEALTHY,
        connections=links,
        queue={"depth": depth["todo"], **depth},
        sources=sources,
        api_clients={**{name: s["status"] for name, s in sources.items()}, **UNSUPPORTED_CLIENTS},
    )
    return body, status.HTTP_200_OK


class SourceOutput(serializers.Serializer[Any]):
    """One upstream source as health sees it."""

    enabled = serializers.BooleanField()
    configured = serializers.BooleanField()
    problem = serializers.CharField(allow_null=True)
    breaker = serializers.ChoiceField(choices=Breaker.choices)
    status = serializers.CharField(help_text="healthy, unconfigured, disabled, open or half-open")


class QueueOutput(serializers.Serializer[Any]):
    """Jobs waiting and running."""

    depth = serializers.IntegerField(help_text="Jobs waiting (todo).")
    todo = serializers.IntegerField()
    doing = serializers.IntegerField()


class HealthOutput(serializers.Serializer[Any]):
    """healthy; degraded when an enabled source's breaker is open or Redis is unreachable;
    unhealthy (503) without a database."""

    service = serializers.CharField()
    status = serializers.ChoiceField(choices=HEALTH_STATES)
    timestamp = serializers.DateTimeField()
    version = serializers.CharField()
    connections = serializers.DictField(child=serializers.CharField())
    queue = QueueOutput(required=False)
    sources = serializers.DictField(child=SourceOutput(), required=False)
    api_clients = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Each source: healthy, unconfigured, disabled, open or half-open; "
        "beatport: unsupported.",
    )


class HealthView(APIView):
    """Service health for load balancers and operators (open, never throttled)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(responses={200: HealthOutput, 503: HealthOutput})
    def get(self, request: Request) -> Response:
        body, code = health()
        return Response(HealthOutput(body).data, status=code)
