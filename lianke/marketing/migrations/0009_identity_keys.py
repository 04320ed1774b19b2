"""The duplicate check (``core.text.identity``): a lead's company key (derived from its company,
filled for every existing row), indexed, and its e-mail indexed by its lower-case form."""

import django.db.models.functions.text
from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived


class Migration(migrations.Migration):
    dependencies = [("marketing", "0008_versions")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="company_key",
            field=lianke.core.fields.CompanyKeyField(source="company"),
        ),
        fill_derived("marketing", "lead", "company_key"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["company_key"], name="mkt_lead_company_key"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(django.db.models.functions.text.Lower("email"), name="mkt_lead_email_lower"),
        ),
    ]
