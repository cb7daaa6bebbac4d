"""App configuration."""

from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    """The enrichment app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrichment"
    verbose_name = "Enrichment"

    def ready(self) -> None:
        """Register the configuration system checks."""
        from enrichment import checks, checks_production  # noqa: F401 (they register on import)
