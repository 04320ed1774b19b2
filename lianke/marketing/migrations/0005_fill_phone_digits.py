"""Data: the digits of every lead's phone numbers (deleted leads too)."""

from django.db import migrations

from lianke.core.migration_operations import fill_phone_digits


class Migration(migrations.Migration):
    dependencies = [("marketing", "0004_phone_digits")]

    operations = [
        fill_phone_digits("marketing", "lead", {"mobile_digits": "mobile", "phone_digits": "phone"})
    ]
