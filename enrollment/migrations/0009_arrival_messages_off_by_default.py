import enrollment.models
from django.db import migrations, models


def mute_arrivals(apps, schema_editor):
    """Consents recorded before the "child arrived" message existed did not choose it."""
    Consent = apps.get_model("enrollment", "Consent")
    for consent in Consent.objects.only("muted_messages").iterator():
        if "arrived" not in consent.muted_messages:
            consent.muted_messages = [*consent.muted_messages, "arrived"]
            consent.save(update_fields=["muted_messages"])


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0008_merge_message_preferences"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="muted_messages",
            field=models.JSONField(
                blank=True,
                default=enrollment.models.muted_by_default,
                verbose_name="messages not wanted",
            ),
        ),
        migrations.RunPython(mute_arrivals, migrations.RunPython.noop),
    ]
