# Two lines of work met here: pickup delegates and parents' leave; the e-mails' leases.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0005_pickup_delegates_and_parent_absences"),
        ("attendance", "0006_still_checked_in_deliveries"),
    ]

    operations = []
