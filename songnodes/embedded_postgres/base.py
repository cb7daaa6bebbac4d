"""The embedded-Postgres backend: django.db.backends.postgresql, located on first connection.

Settings name this backend instead of starting the server, so that importing them starts
nothing (mypy, tools). Whatever connects first (a command, the web, a worker, the tests, or
Procrastinate's worker connector, which reads get_connection_params) starts or finds the
server under EMBEDDED_DATA_DIR and fills in HOST/PORT of the shared settings entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base

from songnodes.database import embedded_location


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL, with HOST/PORT taken from the embedded server the first time they are needed."""

    def get_connection_params(self) -> dict[str, Any]:
        """Django's parameters, once the embedded server runs."""
        if not self.settings_dict.get("HOST"):
            self.settings_dict.update(
                embedded_location(Path(self.settings_dict["EMBEDDED_DATA_DIR"]))
            )
        return super().get_connection_params()
