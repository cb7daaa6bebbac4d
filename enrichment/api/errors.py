"""Error responses: DRF's, plus 413 for oversized bodies and 503 when the database is down."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER = "5"


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler; an oversized body is 413, a lost database temporary unavailability."""
    if isinstance(error, RequestDataTooBig):
        return Response(
            {"detail": f"Request body larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", error)
        return Response(
            {"detail": "Database unavailable; try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    return drf_exception_handler(error, context)
