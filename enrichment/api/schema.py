"""OpenAPI touches drf-spectacular cannot infer: the batch's size bounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def document_batch_limits(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POST /enrich/batch takes 1 to ENRICH_MAX_BATCH_REQUEST items (a postprocessing hook)."""
    batch = result.get("paths", {}).get("/enrich/batch", {}).get("post")
    if batch:
        schema = batch["requestBody"]["content"]["application/json"]["schema"]
        schema.update(minItems=1, maxItems=settings.ENRICH_MAX_BATCH_REQUEST)
    return result
