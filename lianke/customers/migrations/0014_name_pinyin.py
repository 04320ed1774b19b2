"""Pinyin search (``core.text.pinyin``): the full pinyin and initials of names, filled for every
existing row and indexed: a b-tree for the first form by prefix, a trigram index (PostgreSQL) for the others."""

from django.conf import settings
from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_one_index_per_foreign_key"),
        ("org", "0005_one_index_per_foreign_key"),
        ("pools", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="name_pinyin",
            field=lianke.core.fields.PinyinField(source="name"),
        ),
        migrations.AddField(
            model_name="contact",
            name="name_pinyin",
            field=lianke.core.fields.PinyinField(person=True, source="name"),
        ),
        fill_derived("customers", "account", "name_pinyin"),
        fill_derived("customers", "contact", "name_pinyin"),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name_pinyin"], name="cust_account_name_pinyin"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name_pinyin"], name="cust_contact_name_pinyin"),
        ),
        *trigram_indexes("customers_account", ("name_pinyin",)),
        *trigram_indexes("customers_contact", ("name_pinyin",)),
    ]
