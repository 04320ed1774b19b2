"""A lead's company's pinyin initials in a column of their own (``core.fields.PinyinInitialsField``),
indexed with the id: a search typed as initials ("mash" → 马鞍山华…) is a b-tree prefix whose
matches, and how many there are, the index gives alone. The pinyin column's later token is no
longer searched as contained text, so its trigram index goes."""

import lianke.core.fields
from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import add_initials, analyze, without_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0015_keys_indexed_where_set"),
        ("org", "0006_name_pinyin"),
        ("pools", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (the trigram index first: the new column's rewrite would rebuild it)
        *without_trigram_indexes("marketing_lead", ("company_pinyin",)),
        add_initials(
            "lead", "company_initials", lianke.core.fields.PinyinInitialsField(source="company"), pinyin="company_pinyin"
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["company_initials", "id"], name="mkt_lead_company_initials"),
        ),
        analyze("marketing_lead"),
    ]
