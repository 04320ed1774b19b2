"""Data: the digits of every account's and contact's phone numbers (deleted records too)."""

from django.db import migrations

from lianke.core.migration_operations import fill_phone_digits


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_phone_digits")]

    operations = [
        fill_phone_digits("customers", "account", {"phone_digits": "phone"}),
        fill_phone_digits("customers", "contact", {"mobile_digits": "mobile", "phone_digits": "phone"}),
    ]
