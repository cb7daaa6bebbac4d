"""App configuration."""

from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    """The enrichment app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrichment"
    verbose_name = "Enrichment"

    def ready(self) -> None:
        """Register the configuration system checks and the failed-login counter."""
        from enrichment import (  # noqa: F401 (registration happens on import)
            auth_failures,
            checks,
            checks_network,
            checks_production,
        )
