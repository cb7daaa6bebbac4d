"""The shared limiter records when the last request to each API left (checked at send time)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0014_bpm_genres")]

    operations = [
        migrations.AddField(
            model_name="ratelimitstate",
            name="last_sent",
            field=models.FloatField(default=0.0, db_default=0.0),
        ),
    ]
