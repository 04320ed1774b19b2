"""An opportunity name's pinyin initials in a column of their own (``core.fields.PinyinInitialsField``),
indexed with the id: a search typed as initials ("mash" → 马鞍山华…) is a b-tree prefix whose
matches, and how many there are, the index gives alone. The pinyin column's later token is no
longer searched as contained text, so its trigram index goes."""

import lianke.core.fields
from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import add_initials, analyze, without_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0019_name_initials"),
        ("org", "0006_name_pinyin"),
        ("sales", "0012_keys_indexed_where_set"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (the trigram index first: the new column's rewrite would rebuild it)
        *without_trigram_indexes("sales_opportunity", ("name_pinyin",)),
        add_initials(
            "opportunity", "name_initials", lianke.core.fields.PinyinInitialsField(source="name"), pinyin="name_pinyin"
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["name_initials", "id"], name="sales_opp_name_initials"),
        ),
        analyze("sales_opportunity"),
    ]
