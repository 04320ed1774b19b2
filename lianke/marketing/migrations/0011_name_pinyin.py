"""Pinyin search (``core.text.pinyin``): the full pinyin and initials of names, filled for every
existing row and indexed: a b-tree for the first form by prefix, a trigram index (PostgreSQL) for the others."""

from django.conf import settings
from django.db import migrations, models

import lianke.core.fields
from lianke.core.migration_operations import fill_derived, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0010_one_index_per_foreign_key"),
        ("org", "0005_one_index_per_foreign_key"),
        ("pools", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="company_pinyin",
            field=lianke.core.fields.PinyinField(source="company"),
        ),
        migrations.AddField(
            model_name="lead",
            name="name_pinyin",
            field=lianke.core.fields.PinyinField(person=True, source="name"),
        ),
        fill_derived("marketing", "lead", "name_pinyin", "company_pinyin"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["name_pinyin"], name="mkt_lead_name_pinyin"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["company_pinyin"], name="mkt_lead_company_pinyin"),
        ),
        *trigram_indexes("marketing_lead", ("name_pinyin", "company_pinyin")),
    ]
