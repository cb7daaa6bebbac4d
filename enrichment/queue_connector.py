"""Procrastinate's worker connector, with a pool timeout that lets a worker give up promptly.

When the database goes away, a worker stops once its listener loses the connection, but its
way out (persisting the outcome of each running job, unregistering itself) waits for a pool
connection each time: psycopg_pool's default of 30 s per wait made a worker take minutes to
exit, where run_workers (or the container) is meant to restart it after about 30 s. The
connections themselves already carry DATABASES' connect_timeout (songnodes.database).
Settings install it through PROCRASTINATE_ON_APP_READY.

Also installed there: Procrastinate's Django cleanup (close_old_connections before and after
each async task, each a hop into Django's one thread-sensitive thread) is skipped for the
enrichment tasks, which do their Django work in the enrichment pool threads and check and
close those threads' connections themselves (enrichment.tasks.in_pool): with instant upstreams
the two hops were ~3 % of a worker's CPU, for a connection those tasks never use.
"""

from __future__ import annotations

from typing import Any

from procrastinate import App, PsycopgConnector
from procrastinate.connector import BaseAsyncConnector
from procrastinate.contrib.django.db_cleanup import close_db_connections_async
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.contrib.django.utils import connector_params
from procrastinate.job_context import JobContext

# Longest a worker query waits for a free pool connection (they take milliseconds when the
# database is up); a worker's way out waits about twice this after its jobs have ended.
POOL_TIMEOUT_SECONDS = 10.0


class WorkerTimeoutsConnector(DjangoConnector):
    """The Django connector, whose worker connector waits at most POOL_TIMEOUT_SECONDS."""

    def get_worker_connector(self) -> BaseAsyncConnector:
        """A pooled psycopg connector on the same database (what Procrastinate builds)."""
        return PsycopgConnector(kwargs=connector_params(self.alias), timeout=POOL_TIMEOUT_SECONDS)


# The tasks that manage their own connections (enrichment.tasks, enrichment.follow_up_tasks).
OWN_CONNECTIONS = frozenset({"enrichment.enrich_track", "enrichment.enrich_track_source"})


async def cleanup_unless_own_connections(call_next: Any, context: JobContext, worker: Any) -> Any:
    """Procrastinate's async Django cleanup, except around the tasks in OWN_CONNECTIONS."""
    if context.job is not None and context.job.task_name in OWN_CONNECTIONS:
        return await call_next()
    return await close_db_connections_async(call_next, context, worker)


def install(app: App) -> None:
    """Give the Django app this connector (as App.replace_connector does, for good), and the
    cleanup middleware above in place of Procrastinate's async one."""
    connector = WorkerTimeoutsConnector(alias=getattr(app.connector, "alias", "default"))
    app.connector = connector
    app.job_manager.connector = connector
    middleware = app.worker_defaults.get("task_middleware") or []
    app.worker_defaults = {
        **app.worker_defaults,
        "task_middleware": [
            cleanup_unless_own_connections if found is close_db_connections_async else found
            for found in middleware
        ],
    }
