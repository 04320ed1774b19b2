"""Phone numbers become PhoneFields, each with a digits-only column that search matches (filled
by 0006, indexed by 0007); the b-tree indexes on the raw columns, which no search used, go."""

from django.db import migrations

import lianke.core.fields


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_pg_search_contact")]

    operations = [
        migrations.RemoveIndex(model_name="account", name="cust_account_phone"),
        migrations.RemoveIndex(model_name="contact", name="cust_contact_mobile"),
        migrations.AlterField(
            model_name="account",
            name="phone",
            field=lianke.core.fields.PhoneField(blank=True, max_length=30, verbose_name="phone"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="mobile",
            field=lianke.core.fields.PhoneField(
                blank=True, kind="mobile", max_length=20, verbose_name="mobile"
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="phone",
            field=lianke.core.fields.PhoneField(blank=True, max_length=30, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="account",
            name="phone_digits",
            field=lianke.core.fields.PhoneDigitsField(source="phone"),
        ),
        migrations.AddField(
            model_name="contact",
            name="mobile_digits",
            field=lianke.core.fields.PhoneDigitsField(source="mobile"),
        ),
        migrations.AddField(
            model_name="contact",
            name="phone_digits",
            field=lianke.core.fields.PhoneDigitsField(source="phone"),
        ),
    ]
