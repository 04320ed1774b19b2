"""The duplicate check (``core.text.identity``): an account's company key (derived from its name,
filled for every existing row), indexed, and e-mails indexed by their lower-case form."""

import django.db.models.functions.text
from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived


class Migration(migrations.Migration):
    dependencies = [("customers", "0011_credit_code_message")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="name_key",
            field=lianke.core.fields.CompanyKeyField(source="name"),
        ),
        fill_derived("customers", "account", "name_key"),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name_key"], name="cust_account_name_key"),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                django.db.models.functions.text.Lower("email"), name="cust_account_email_lower"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                django.db.models.functions.text.Lower("email"), name="cust_contact_email_lower"
            ),
        ),
    ]
