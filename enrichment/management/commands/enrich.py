"""manage.py enrich: enrich tracks inline (--sync) or queue them for the workers."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from enrichment import pipeline, track_metadata
from enrichment.importing import COLUMNS, RowError, upsert_one
from enrichment.models import EnrichmentStatus, Track
from enrichment.tasks import defer_enrichment

OUTPUT_FIELDS = (
    "artist_name", "title", "spotify_id", "isrc", "musicbrainz_id", "discogs_id", "deezer_id",
    "tidal_id", "bpm", "key", "camelot_key", "open_key", "energy", "danceability", "valence",
    "acousticness", "instrumentalness", "liveness", "speechiness", "loudness",
    "time_signature", "duration_ms", "label", "catalog_number", "release_date",
    "release_date_precision", "release_country", "spotify_popularity", "lastfm_playcount",
    "lastfm_listeners",
)  # fmt: skip
# The importer's identifier columns, one option each (--isrc ...): they pick an existing track.
IDENTIFIER_COLUMNS = tuple(
    c for c in COLUMNS if c not in ("artist_name", "track_title", "track_id")
)


class Command(BaseCommand):
    help = "Enrich tracks: by id, by artist/title (created if new), or every due track."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("track_ids", nargs="*", metavar="TRACK_ID")
        parser.add_argument("--artist", help="artist name (with --title)")
        parser.add_argument("--title", help="track title (with --artist)")
        for column in IDENTIFIER_COLUMNS:
            parser.add_argument(f"--{column.replace('_', '-')}")
        parser.add_argument("--due", action="store_true", help="every track the schedule wants")
        parser.add_argument("--limit", type=int, default=100, help="with --due (default 100)")
        parser.add_argument("--sync", action="store_true", help="run here instead of queueing")
        parser.add_argument("--force-refresh", action="store_true", help="bypass the cache")
        parser.add_argument("--json", action="store_true", help="print each result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        track_ids = self._targets(options)
        if not track_ids:
            self.stdout.write("nothing to enrich")
            return
        if not options["sync"]:
            jobs = defer_enrichment(track_ids, force_refresh=options["force_refresh"])
            queued = sum(job is not None for job in jobs.values())
            self.stdout.write(f"queued {queued} job(s); {len(jobs) - queued} already queued")
            return
        progress = tqdm(track_ids, desc="enriching", unit=" tracks", disable=options["json"])
        for track_id in progress:
            result = pipeline.enrich(track_id, force_refresh=options["force_refresh"])
            if options["json"]:
                self.stdout.write(json.dumps(self._report(result), default=str))

    def _targets(self, options: dict[str, Any]) -> list[uuid.UUID]:
        ids: list[uuid.UUID] = []
        missing: list[str] = []
        for raw in options["track_ids"]:  # our UUID, or the caller's own id (external_id)
            track = Track.objects.by_track_id(raw)
            if track is None:
                missing.append(raw)
            else:
                ids.append(track.pk)
        if missing:
            raise CommandError(f"no such track: {', '.join(sorted(missing))}")
        if options["artist"] or options["title"]:
            ids.append(self._track_from_options(options))
        if options["due"]:
            ids += EnrichmentStatus.objects.due_track_ids(options["limit"])
        return ids

    def _track_from_options(self, options: dict[str, Any]) -> uuid.UUID:
        if not (options["artist"] and options["title"]):
            raise CommandError("--artist and --title go together")
        raw = {
            "artist_name": options["artist"],
            "track_title": options["title"],
            **{column: options[column] for column in IDENTIFIER_COLUMNS},
        }
        try:
            return upsert_one(raw)
        except RowError as error:
            raise CommandError(str(error)) from error

    def _report(self, result: pipeline.EnrichmentResult) -> dict[str, Any]:
        track = Track.objects.get(pk=result.track_id)
        return {
            **asdict(result),
            "fields": {name: getattr(track, name) for name in OUTPUT_FIELDS},
            "lastfm_tags": track_metadata.tags(track),
            "enrichment_sources": track_metadata.sources(track),
            "review": track_metadata.reviews(track),
        }
