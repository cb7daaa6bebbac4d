"""One track per identity: normalised artist + title, and Spotify id, unique among tracks.

A unique index cannot be built while duplicates exist, and deleting or merging them would lose
ids that callers hold and values a curator set. So every track is kept: in each group sharing
a normalised artist + title (then a Spotify id), the oldest stays canonical and each other is
marked in its metadata as `duplicate_of` the oldest, which puts it outside the constraints
(it is still readable and enrichable by its id, and found by name after the oldest). The
normalisation is the one the index uses (enrichment/identity.py). Marking leaves updated_at
untouched.
"""

from django.db import migrations, models
from django.db.models import F, Window
from django.db.models.functions import Cast, FirstValue, RowNumber

import enrichment.identity
from enrichment.identity import CANONICAL, DUPLICATE_KEY, normalised


def _duplicates(tracks, partition_by):
    """(duplicate id, oldest id) for each canonical track that is not the oldest of its group."""
    order = [F("created_at").asc(), F("id").asc()]
    ranked = tracks.filter(CANONICAL).annotate(
        rank=Window(RowNumber(), partition_by=partition_by, order_by=order),
        oldest=Window(FirstValue("id"), partition_by=partition_by, order_by=order),
    )
    return [
        (row["id"], row["oldest"])
        for row in ranked.values("id", "oldest", "rank")
        if row["rank"] > 1
    ]


def _mark(tracks, duplicates, reason):
    """Note on each duplicate which track it duplicates, and why."""
    for duplicate_id, oldest_id in duplicates:
        track = tracks.get(pk=duplicate_id)
        metadata = (
            track.metadata if isinstance(track.metadata, dict) else {"previous": track.metadata}
        )
        metadata[DUPLICATE_KEY] = {"track_id": str(oldest_id), **reason(track)}
        tracks.filter(pk=duplicate_id).update(metadata=metadata)


def mark_duplicates(apps, schema_editor):
    """Mark every duplicate (by name, then by Spotify id) so the unique indexes can be built."""
    tracks = apps.get_model("enrichment", "Track").objects
    by_name = _duplicates(tracks, [normalised("artist_name"), normalised("title")])
    _mark(tracks, by_name, lambda track: {"artist_title": True})
    by_spotify_id = _duplicates(tracks.filter(spotify_id__isnull=False), [F("spotify_id")])
    _mark(tracks, by_spotify_id, lambda track: {"spotify_id": track.spotify_id})


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0005_canonical_track_metadata")]

    operations = [
        migrations.RunPython(mark_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="track",
            constraint=models.UniqueConstraint(
                enrichment.identity.Normalised(models.F("artist_name")),
                enrichment.identity.Normalised(models.F("title")),
                models.Case(
                    models.When(
                        models.Q(("metadata__has_key", "duplicate_of")),
                        then=Cast("id", models.TextField()),
                    ),
                    default=models.Value(""),
                    output_field=models.TextField(),
                ),
                name="track_artist_title_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="track",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("metadata__has_key", "duplicate_of"), _negated=True),
                    ("spotify_id__isnull", False),
                ),
                fields=("spotify_id",),
                name="track_spotify_id_unique",
            ),
        ),
    ]
