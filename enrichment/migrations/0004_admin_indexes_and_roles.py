"""Indexes the curator admin reads through, and the Curators / Viewers groups.

Indexes are built CONCURRENTLY (so a live catalogue keeps taking writes), hence atomic = False.
The groups get their permissions here; the custom "enrich_track" permission (queue enrichment,
decide reviews) is created here too, so a fresh database has working roles after `migrate`.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

ENRICH_PERMISSION = ("enrich_track", "Can queue enrichment and decide reviews")

# (app label, model, verbose name) -> actions; the view-only role first, curators add to it.
VIEWER_PERMISSIONS = {
    ("enrichment", "track", "track"): ("view",),
    ("enrichment", "enrichmentstatus", "enrichment status"): ("view",),
    ("enrichment", "apicache", "API cache entry"): ("view",),
    ("enrichment", "circuitbreakerstate", "circuit breaker state"): ("view",),
    ("procrastinate", "procrastinatejob", "procrastinate job"): ("view",),
    ("procrastinate", "procrastinateevent", "procrastinate event"): ("view",),
}
CURATOR_PERMISSIONS = {
    **VIEWER_PERMISSIONS,
    ("enrichment", "track", "track"): ("view", "change", "enrich"),
    ("enrichment", "apicache", "API cache entry"): ("view", "delete"),
}
ROLES = {"Curators": CURATOR_PERMISSIONS, "Viewers": VIEWER_PERMISSIONS}


def _permission(apps, app_label, model, verbose_name, action):
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label=app_label, model=model
    )
    if action == "enrich":
        codename, name = ENRICH_PERMISSION
    else:
        codename, name = f"{action}_{model}", f"Can {action} {verbose_name}"
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def create_roles(apps, schema_editor):
    """Create (or complete) the Curators and Viewers groups; idempotent."""
    Group = apps.get_model("auth", "Group")
    for group_name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for (app_label, model, verbose_name), actions in grants.items():
            for action in actions:
                group.permissions.add(_permission(apps, app_label, model, verbose_name, action))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("enrichment", "0003_due_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="enrichmentstatus",
            index=models.Index(fields=["last_attempt"], name="status_last_attempt_idx"),
        ),
        AddIndexConcurrently(
            model_name="track",
            index=models.Index(
                condition=models.Q(("metadata__has_key", "review")),
                fields=["artist_name", "title"],
                name="track_needs_review_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="track",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "artist_name", "title", config="simple"
                ),
                name="track_search_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="track",
            index=models.Index(
                condition=models.Q(("discogs_id__isnull", False)),
                fields=["discogs_id"],
                name="track_discogs_id_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="track",
            index=models.Index(
                condition=models.Q(("deezer_id__isnull", False)),
                fields=["deezer_id"],
                name="track_deezer_id_idx",
            ),
        ),
        migrations.RunPython(create_roles, remove_roles, elidable=False),
    ]
