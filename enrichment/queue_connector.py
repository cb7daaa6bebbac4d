"""Procrastinate's worker connector, with a pool timeout that lets a worker give up promptly.

When the database goes away, a worker stops once its listener loses the connection, but its
way out (persisting the outcome of each running job, unregistering itself) waits for a pool
connection each time: psycopg_pool's default of 30 s per wait made a worker take minutes to
exit, where run_workers (or the container) is meant to restart it after about 30 s. The
connections themselves already carry DATABASES' connect_timeout (songnodes.database).
Settings install it through PROCRASTINATE_ON_APP_READY.
"""

from __future__ import annotations

from procrastinate import App, PsycopgConnector
from procrastinate.connector import BaseAsyncConnector
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.contrib.django.utils import connector_params

# Longest a worker query waits for a free pool connection (they take milliseconds when the
# database is up); a worker's way out waits about twice this after its jobs have ended.
POOL_TIMEOUT_SECONDS = 10.0


class WorkerTimeoutsConnector(DjangoConnector):
    """The Django connector, whose worker connector waits at most POOL_TIMEOUT_SECONDS."""

    def get_worker_connector(self) -> BaseAsyncConnector:
        """A pooled psycopg connector on the same database (what Procrastinate builds)."""
        return PsycopgConnector(kwargs=connector_params(self.alias), timeout=POOL_TIMEOUT_SECONDS)


def install(app: App) -> None:
    """Give the Django app this connector (as App.replace_connector does, for good)."""
    connector = WorkerTimeoutsConnector(alias=getattr(app.connector, "alias", "default"))
    app.connector = connector
    app.job_manager.connector = connector
