"""The original SongNodes metadata-enrichment service's SQL, copied verbatim as the contract.

Source: github.com/zvirb/songnodes at 73853949221bc0b26042086aff721b661908425b (the version the
seed README describes), services/metadata-enrichment/main.py (`/stats`, the scheduled due
selection) and services/metadata-enrichment/enrichment_pipeline.py (the track update and the
`enrichment_status` upsert). The parameters keep SQLAlchemy's `:name` style; `replay` binds them.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection

# main.py, get_enrichment_stats(): the catalogue counts.
STATS = """
                SELECT
                    COUNT(*) as total_tracks,
                    COUNT(CASE WHEN spotify_id IS NOT NULL THEN 1 END) as with_spotify_id,
                    COUNT(CASE WHEN isrc IS NOT NULL THEN 1 END) as with_isrc,
                    COUNT(CASE WHEN metadata->>'musicbrainz_id' IS NOT NULL THEN 1 END) as with_musicbrainz_id,
                    COUNT(CASE WHEN bpm IS NOT NULL THEN 1 END) as with_bpm,
                    COUNT(CASE WHEN key IS NOT NULL THEN 1 END) as with_key,
                    COUNT(CASE WHEN energy IS NOT NULL THEN 1 END) as with_audio_features
                FROM tracks
"""  # noqa: E501

# main.py, get_enrichment_stats(): tracks per status.
STATUS_STATS = """
                SELECT
                    status,
                    COUNT(*) as count,
                    AVG(retry_count) as avg_retries
                FROM enrichment_status
                GROUP BY status
"""

# main.py, process_pending_enrichments(): the tracks due. The one change: the original named
# the artist from its separate track_artists/artists tables (the scrapers' schema, not this
# service's); here the track's own artist_name column stands in for that sub-select.
DUE = """
                SELECT t.id, t.title,
                       COALESCE(t.artist_name, 'Unknown') as artist_name,
                       t.spotify_id, t.isrc, t.metadata->>'musicbrainz_id' as musicbrainz_id,
                       es.status, es.last_attempt
                FROM tracks t
                LEFT JOIN enrichment_status es ON t.id = es.track_id
                WHERE (
                    es.status IS NULL
                    OR es.status = 'pending'
                    OR (es.status = 'failed' AND es.retry_count < 3)
                    OR (es.status = 'partial' AND es.last_attempt < NOW() - INTERVAL '24 hours')
                )
                AND (t.metadata IS NULL OR jsonb_array_length(COALESCE(t.metadata->'enrichment_sources', '[]'::jsonb)) < 2)
                LIMIT 100
"""  # noqa: E501

# enrichment_pipeline.py, _update_enrichment_status().
UPSERT_STATUS = """
                    INSERT INTO enrichment_status (track_id, status, sources_enriched, last_attempt, error_message)
                    VALUES (:track_id, :status, :sources_count, CURRENT_TIMESTAMP, :error_message)
                    ON CONFLICT (track_id)
                    DO UPDATE SET
                        status = :status,
                        sources_enriched = :sources_count,
                        last_attempt = CURRENT_TIMESTAMP,
                        error_message = :error_message,
                        retry_count = CASE
                            WHEN enrichment_status.status = 'failed' AND :status = 'failed'
                            THEN enrichment_status.retry_count + 1
                            ELSE enrichment_status.retry_count
                        END
"""  # noqa: E501

# enrichment_pipeline.py, _update_track_metadata(): the statement it builds (its SET list is
# the columns it has values for; this is the one with every kind: a column, genre, metadata).
UPDATE_TRACK = """
                        UPDATE tracks
                        SET bpm = :bpm, key = :key, genre = :genre, metadata = COALESCE(metadata, '{}'::jsonb) || :enrichment_data::jsonb, updated_at = CURRENT_TIMESTAMP
                        WHERE id = :track_id
"""  # noqa: E501

# SQLAlchemy's :name parameters (not the ::type casts) as psycopg's %(name)s.
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def replay(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run one of the original's statements as it was written; its rows as dicts."""
    with connection.cursor() as cursor:
        cursor.execute(_PARAMETER.sub(r"%(\1)s", sql), params or {})
        if cursor.description is None:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
