"""A lead's phone numbers become PhoneFields, each with a digits-only column that search matches
(filled by 0005, indexed by 0006); the b-tree index on the raw mobile, which no search used, goes."""

from django.db import migrations

import lianke.core.fields


class Migration(migrations.Migration):
    dependencies = [("marketing", "0003_pg_search_lead")]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="mkt_lead_mobile"),
        migrations.AlterField(
            model_name="lead",
            name="mobile",
            field=lianke.core.fields.PhoneField(
                blank=True, kind="mobile", max_length=20, verbose_name="mobile"
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="phone",
            field=lianke.core.fields.PhoneField(blank=True, max_length=30, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="lead",
            name="mobile_digits",
            field=lianke.core.fields.PhoneDigitsField(source="mobile"),
        ),
        migrations.AddField(
            model_name="lead",
            name="phone_digits",
            field=lianke.core.fields.PhoneDigitsField(source="phone"),
        ),
    ]
