"""A paginator that does not count a million rows to draw page links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows the planner's estimate is too rough and an exact count is cheap.
ESTIMATE_ABOVE = 50_000
# A filtered list counts at most this many rows, five pages (then shows "500+";
# ADMIN_COUNT_CAP): counting every match of a filter over a million tracks took longer than
# reading the page, counting up to 10,000 three times as long, and up to 1,000 still up to 2.1x
# the page's row query (bench.scale).
COUNT_CAP = settings.ADMIN_COUNT_CAP


def estimated_rows(table: str) -> int:
    """The planner's row estimate for a table (-1 when it was never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else -1


class EstimatedCountPaginator(Paginator):
    """Counts up to COUNT_CAP for filtered lists; the planner's estimate for a big unfiltered
    table."""

    estimated = False
    capped = False  # more than COUNT_CAP rows matched (the count is COUNT_CAP + 1)

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        if isinstance(object_list, QuerySet) and not object_list.query.where:
            estimate = estimated_rows(object_list.model._meta.db_table)
            if estimate > ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
        if isinstance(object_list, QuerySet):
            # Only the filter's rows: no ordering (the page's sort would walk the matches in
            # order) and no list columns (annotations) in the counted subquery.
            counted = object_list.order_by().values("pk")[: COUNT_CAP + 1].count()
            self.capped = counted > COUNT_CAP
            return counted
        return super().count

    @property
    def cap_label(self) -> str:
        """How a capped count reads: "500+"."""
        return f"{COUNT_CAP:,}+"
