"""A track's identity (normalised artist + title, or an identifier) and create-or-get by it.

The normalisation is one SQL expression, used both by the unique index on `tracks` and by the
lookups, so Python can never disagree with the database about which names are the same:
case-insensitive, with surrounding whitespace dropped and inner runs of whitespace collapsed.
It changes nothing else, so "Strobe" and "Strobe (Radio Edit)" stay two recordings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Func, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast
from psycopg import errors

if TYPE_CHECKING:
    from django.db.models import Model

    from enrichment.models import Track

ModelT = TypeVar("ModelT", bound="Model")

# Not marked as a track's duplicate: the rows the identity constraints hold unique. Existing
# duplicates were marked by migration 0006 (keeping every row and its id) rather than merged.
DUPLICATE_KEY = "duplicate_of"
CANONICAL = ~Q(metadata__has_key=DUPLICATE_KEY)


class Normalised(Func):
    """lower(btrim(collapsed whitespace)) of a text: the form names are compared in."""

    template = "lower(btrim(regexp_replace(%(expressions)s, '\\s+', ' ', 'g')))"
    output_field = TextField()


def normalised(field: str) -> Normalised:
    """The normalised value of a column (as the unique index on artist + title sees it)."""
    return Normalised(F(field))


def duplicate_key() -> Case:
    """ "" for a canonical track, its own id for a marked duplicate (unique on its own).

    The third column of the unique name index: canonical names are unique, duplicates fall
    outside, and one full index still serves every lookup by name (its first two columns).
    """
    marked = When(~CANONICAL, then=Cast("id", TextField()))
    return Case(marked, default=Value(""), output_field=TextField())


def with_name(tracks: QuerySet[Track], artist_name: str, title: str) -> QuerySet[Track]:
    """The tracks whose normalised artist and title equal these (read by the unique index)."""
    keyed = tracks.alias(artist_key=normalised("artist_name"), title_key=normalised("title"))
    return keyed.filter(
        artist_key=Normalised(Value(artist_name)), title_key=Normalised(Value(title))
    )


def lock_order(artist_name: str, title: str) -> tuple[str, str]:
    """A sort key close to the normalised name: the order concurrent writers take rows in.

    Only an order (equality is the database's, above); where it differs from the index's
    normalisation, a deadlock can still happen, and the writer retries it.
    """
    return " ".join(artist_name.split()).lower(), " ".join(title.split()).lower()


def insert_or_find(new: ModelT, find: Callable[[], ModelT | None]) -> tuple[ModelT, bool]:
    """Insert `new`, or when a concurrent insert won the race, the row it created; created?"""
    try:
        with transaction.atomic():  # a savepoint: losing the race undoes only this insert
            new.save(force_insert=True)
    except IntegrityError as error:
        if not isinstance(error.__cause__, errors.UniqueViolation):
            raise
        # The unique check waited for the winner to commit, so a new statement sees its row.
        existing = find()
        if existing is None:
            raise
        return existing, False
    return new, True
