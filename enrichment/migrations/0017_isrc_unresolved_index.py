"""A partial index for MusicBrainz ISRC batches: tracks with an ISRC and no MusicBrainz id.

Built CONCURRENTLY (a live catalogue keeps taking writes), hence atomic = False.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("enrichment", "0016_lean_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="track",
            index=models.Index(
                condition=models.Q(("isrc__isnull", False), ("musicbrainz_id__isnull", True)),
                fields=["isrc"],
                name="track_isrc_unresolved_idx",
            ),
        ),
    ]
