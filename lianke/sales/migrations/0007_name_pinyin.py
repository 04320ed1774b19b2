"""Pinyin search (``core.text.pinyin``): the full pinyin and initials of names, filled for every
existing row and indexed: a b-tree for the first form by prefix, a trigram index (PostgreSQL) for the others."""

from django.conf import settings
from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_name_pinyin"),
        ("org", "0006_name_pinyin"),
        ("sales", "0006_one_index_per_foreign_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="name_pinyin",
            field=lianke.core.fields.PinyinField(source="name"),
        ),
        fill_derived("sales", "opportunity", "name_pinyin"),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["name_pinyin"], name="sales_opp_name_pinyin"),
        ),
        *trigram_indexes("sales_opportunity", ("name_pinyin",)),
    ]
