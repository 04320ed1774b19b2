"""Pinyin search (``core.text.pinyin``): the full pinyin and initials of names, filled for every
existing row and indexed: a b-tree for the first form by prefix, a trigram index (PostgreSQL) for the others."""

from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("org", "0005_one_index_per_foreign_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="name_pinyin",
            field=lianke.core.fields.PinyinField(person=True, source="name"),
        ),
        fill_derived("org", "user", "name_pinyin"),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["name_pinyin"], name="org_user_name_pinyin"),
        ),
        *trigram_indexes("org_user", ("name_pinyin",)),
    ]
