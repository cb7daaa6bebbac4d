"""OpenAPI touches drf-spectacular cannot infer: the batch's size bounds, trusted networks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TrustedNetworkScheme(OpenApiAuthenticationExtension):
    """Trusted networks are no credential a client sends: no security scheme to document
    (the API's description says who needs no token)."""

    target_class = "enrichment.api.authentication.TrustedNetworkAuthentication"
    name: list[str] = []

    def get_security_requirement(self, auto_schema: Any) -> Any:
        return None  # no requirement listed (drf-spectacular skips None)

    def get_security_definition(self, auto_schema: Any) -> list[Any]:
        return []


def document_batch_limits(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POST /enrich/batch takes 0 to ENRICH_MAX_BATCH_REQUEST items (a postprocessing hook)."""
    batch = result.get("paths", {}).get("/enrich/batch", {}).get("post")
    if batch:
        schema = batch["requestBody"]["content"]["application/json"]["schema"]
        schema.update(minItems=0, maxItems=settings.ENRICH_MAX_BATCH_REQUEST)
    return result
