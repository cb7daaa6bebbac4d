"""manage.py metrics_reset: empty the Prometheus multiprocess files at deployment start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Delete every process's metric files (PROMETHEUS_METRICS_DIR, all hosts). Run it once "
        "when a deployment starts, before the web and worker processes: counters restart at 0."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        directories = {
            settings.PROMETHEUS_METRICS_DIR,
            Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]),
        }
        files = {path for directory in directories for path in directory.rglob("*.db")}
        for path in files:
            path.unlink(missing_ok=True)
        shown = ", ".join(sorted(map(str, directories)))
        self.stdout.write(f"removed {len(files)} metric file(s) from {shown}")
