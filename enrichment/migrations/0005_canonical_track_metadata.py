"""Bring every track's metadata to the canonical shape that enrichment/track_metadata.py writes.

The shape is frozen here, as of this migration (so later changes to the module cannot change
what this did): a provenance entry is an object with source, fetched_at and confidence (None
where an older entry did not say), its numbers to three decimals, other keys kept; an entry
that was only a source name becomes such an object; an empty review document goes (its key
alone flags the track as awaiting review); sources used and refused identifiers are sorted,
without repeats. Everything else, unknown keys included, stays as it is. Rows are read in
batches and only those that change are written (their updated_at untouched).
"""

import math

from django.db import migrations

BATCH = 1000
PROVENANCE_NUMBERS = ("confidence", "score")


def canonical_number(value):
    """A finite number to three decimals (numeric strings too); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return round(number, 3) if math.isfinite(number) else value


def canonical_provenance(entry):
    """One provenance entry in the canonical shape (entries without a source are left alone)."""
    if isinstance(entry, str) and entry:
        return {"source": entry, "fetched_at": None, "confidence": None}
    if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
        return entry
    canonical = {"fetched_at": None, "confidence": None, **entry}
    for key in PROVENANCE_NUMBERS:
        if canonical.get(key) is not None:
            canonical[key] = canonical_number(canonical[key])
    return canonical


def sorted_names(values):
    """A list of strings sorted, without repeats; anything else as it is."""
    if isinstance(values, list) and all(isinstance(value, str) for value in values):
        return sorted(set(values))
    return values


def canonical_metadata(metadata):
    """The whole document in the canonical shape."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        return metadata
    canonical = dict(metadata)
    provenance = canonical.get("provenance")
    if isinstance(provenance, dict):
        canonical["provenance"] = {
            field: canonical_provenance(entry) for field, entry in provenance.items()
        }
    if "review" in canonical and not canonical["review"]:
        del canonical["review"]
    if "enrichment_sources" in canonical:
        canonical["enrichment_sources"] = sorted_names(canonical["enrichment_sources"])
    rejected = canonical.get("rejected")
    if isinstance(rejected, dict):
        canonical["rejected"] = {name: sorted_names(ids) for name, ids in rejected.items()}
    return canonical


def canonicalize(apps, schema_editor):
    """Rewrite the tracks whose metadata is not in the canonical shape yet."""
    Track = apps.get_model("enrichment", "Track")
    rows = Track.objects.exclude(metadata={}).only("pk", "metadata").order_by("pk")
    changed = []
    for track in rows.iterator(chunk_size=BATCH):
        canonical = canonical_metadata(track.metadata)
        if canonical != track.metadata:
            track.metadata = canonical
            changed.append(track)
        if len(changed) >= BATCH:
            Track.objects.bulk_update(changed, ["metadata"])
            changed = []
    if changed:
        Track.objects.bulk_update(changed, ["metadata"])


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0004_admin_indexes_and_roles")]

    operations = [
        migrations.RunPython(canonicalize, migrations.RunPython.noop, elidable=True),
    ]
