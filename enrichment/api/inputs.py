"""Strict input validation: JSON types as declared, importer's rules; the original's enrichment
body ignores (and logs) fields it does not know, as the original did, while other inputs refuse
them."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from enrichment.importing import MAX_TEXT, RowError, TrackRow, validate_row
from enrichment.models import SPOTIFY_ID_REGEX, TRACK_ID_MAX_LENGTH

logger = logging.getLogger(__name__)


class StrictCharField(serializers.CharField):
    """A JSON string (never a number coerced to one) that Postgres can store."""

    default_error_messages = {"invalid": "Must be a string.", "unicode": "Must be valid Unicode."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800" in the JSON
            self.fail("unicode")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false (not "yes", 1 or "true")."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not a string, a float or a boolean)."""

    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a JSON string."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare: a misspelt field must not be silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors: dict[str, Any] = {name: ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class IgnoringSerializer(serializers.Serializer[Any]):
    """Drops fields it does not declare, remembering their names (see log_ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every item of a batch goes through one child instance: the names of all of them.
        self.ignored_fields: set[str] = set()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = {str(name) for name in data if name not in self.fields}
            if unknown:
                self.ignored_fields |= unknown
                data = {name: value for name, value in data.items() if name in self.fields}
        return super().to_internal_value(data)


def log_ignored(names: set[str]) -> None:
    """One line naming the ignored fields of a request (never their values)."""
    if names:
        logger.info("ignored unknown field(s): %s", ", ".join(sorted(names))[:500])


_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]{1,6}\s*")


class PriorityField(serializers.IntegerField):
    """A priority from 1 to 10: a JSON integer or a numeric string ("5"), as the original took."""

    default_error_messages = {"invalid": "Must be an integer (or a numeric string) from 1 to 10."}

    def to_internal_value(self, data: Any) -> int:
        numeric_text = isinstance(data, str) and _WHOLE_NUMBER.fullmatch(data)
        if numeric_text or (isinstance(data, float) and data.is_integer()):
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


@dataclass(frozen=True)
class EnrichRequest:
    """One validated seed body: the track as the importer sees it, plus queue options."""

    row: TrackRow
    musicbrainz_id: uuid.UUID | None
    priority: int
    force_refresh: bool


# The importer's names for the fields it checks, and ours.
_IMPORTER_NAMES = {
    "track_id": "track_id",
    "artist_name": "artist_name",
    "track_title": "track_title",
    "existing_spotify_id": "spotify_id",
    "existing_isrc": "isrc",
}
_OUR_NAMES = {theirs: ours for ours, theirs in _IMPORTER_NAMES.items()}


class TrackBodyInput(IgnoringSerializer):
    """The original service's enrichment body (one item of a batch)."""

    track_id = StrictCharField(
        required=False, allow_null=True, max_length=TRACK_ID_MAX_LENGTH, trim_whitespace=False,
        help_text="The caller's id for the track: our UUID, or any string of theirs (kept as "
        "the track's external id, echoed in responses; the track is created if new).",
    )  # fmt: skip
    artist_name = StrictCharField(max_length=MAX_TEXT)
    track_title = StrictCharField(max_length=MAX_TEXT)
    existing_spotify_id = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=22,
        validators=[RegexValidator(SPOTIFY_ID_REGEX, "Not a 22-character Spotify id.")],
        help_text="22-character Spotify track id; fills a gap, never overwrites.",
    )  # fmt: skip
    existing_isrc = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=15,
        help_text="ISRC, hyphens allowed; fills a gap, never overwrites.",
    )  # fmt: skip
    existing_musicbrainz_id = StrictUUIDField(
        required=False, allow_null=True, help_text="MusicBrainz recording id; fills a gap."
    )
    priority = PriorityField(
        min_value=1, max_value=10, default=5,
        help_text="1 to 10 (or the same as a string); higher runs sooner.",
        error_messages={"min_value": "Must be from 1 to 10.", "max_value": "Must be from 1 to 10."},
    )  # fmt: skip
    force_refresh = StrictBooleanField(default=False, help_text="Bypass the response cache.")
    correlation_id = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=200,
        help_text="The caller's id for this request: echoed in the answer and in the logs.",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Apply the importer's rules (ISRC and Spotify id formats, lengths, trimming)."""
        raw = {theirs: attrs.get(ours) for ours, theirs in _IMPORTER_NAMES.items()}
        try:
            attrs["row"] = validate_row(1, raw)
        except RowError as error:
            name = _OUR_NAMES.get(error.field_name, error.field_name)
            message = str(error).split(": ", 2)[-1]
            raise serializers.ValidationError({name: [message]}) from error
        return attrs


def enrich_request(attrs: Mapping[str, Any]) -> EnrichRequest:
    """The validated body as the services take it."""
    return EnrichRequest(
        row=attrs["row"],
        musicbrainz_id=attrs.get("existing_musicbrainz_id"),
        priority=attrs["priority"],
        force_refresh=attrs["force_refresh"],
    )


class EnrichInput(TrackBodyInput):
    """POST /enrich: the seed body; answered with the attempt's result unless `sync` is false."""

    sync = StrictBooleanField(
        default=True,
        help_text="true (default): wait for the attempt (at most ENRICH_SYNC_TIMEOUT seconds) "
        "and answer 200 with its result; false: answer 202 with the job at once.",
    )


class BatchInput(serializers.ListSerializer[Any]):
    """POST /enrich/batch: an array of seed bodies (empty too), at most ENRICH_MAX_BATCH_REQUEST."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("child", TrackBodyInput())
        kwargs.setdefault("allow_empty", True)  # a batch of 0, as the original took it
        kwargs.setdefault("max_length", settings.ENRICH_MAX_BATCH_REQUEST)
        super().__init__(*args, **kwargs)


def indexed_errors(detail: Any) -> Any:
    """A list of per-item errors as {index: errors}, leaving out the valid items."""
    if isinstance(detail, list) and all(isinstance(item, dict) for item in detail):
        return {str(index): errors for index, errors in enumerate(detail) if errors}
    return detail
