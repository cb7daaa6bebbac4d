"""API tokens stored as SHA-256 digests (enrichment/tokens.py), the plain ones hashed over.

Tokens of DRF's authtoken app (plain text in authtoken_token) become ApiToken rows holding
their digest, so every client keeps working with the token it has; then the plain table goes,
with its migration records, as if that app had never been installed.
"""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LEGACY_TABLE = "authtoken_token"


def hash_plain_tokens(apps, schema_editor):
    """Move every plain token to an ApiToken digest, then drop the plain table."""
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    api_token = apps.get_model("enrichment", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {LEGACY_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    api_token.objects.bulk_create(
        [
            api_token(digest=hashlib.sha256(key.encode()).hexdigest(), user_id=user_id)
            for key, user_id, _ in rows
        ],
        ignore_conflicts=True,
    )
    # auto_now_add ignores a given value: keep each token's own creation time.
    for key, _, created in rows:
        digest = hashlib.sha256(key.encode()).hexdigest()
        api_token.objects.filter(digest=digest).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {LEGACY_TABLE}")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("enrichment", "0006_identity_unique_tracks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("digest", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_token",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "API token"},
        ),
        # Irreversible in effect (a digest cannot be turned back into its token).
        migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop),
    ]
