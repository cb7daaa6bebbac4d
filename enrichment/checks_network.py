"""Checks of who the API trusts without a token (API_TRUSTED_NETWORKS).

An unreadable value is reported by E008 with the variable's name (and no network is trusted).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from enrichment.checks import AppConfigs
from enrichment.trusted_networks import public_networks


@register()
def check_trusted_networks(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W030: a trusted network that includes public addresses (anyone there needs no token)."""
    public = public_networks(settings.API_TRUSTED_NETWORKS)
    if not public:
        return []
    shown = ", ".join(str(network) for network in public)
    return [
        Warning(
            f"API_TRUSTED_NETWORKS includes public addresses ({shown}): every caller there "
            "may enrich and read without a token.",
            hint="List only the private networks of your own callers, e.g. the compose "
            "network (172.28.0.0/16) or the cluster's pod range; see docs/operations.md.",
            obj="API_TRUSTED_NETWORKS",
            id="songnodes.W030",
        )
    ]
