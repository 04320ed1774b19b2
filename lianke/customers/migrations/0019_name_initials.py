"""An account name's pinyin initials in a column of their own (``core.fields.PinyinInitialsField``),
indexed with the id: a search typed as initials ("mash" → 马鞍山华…) is a b-tree prefix whose
matches, and how many there are, the index gives alone. The pinyin column's later token is no
longer searched as contained text, so its trigram index goes."""

import lianke.core.fields
from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import add_initials, analyze, without_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0018_keys_indexed_where_set"),
        ("org", "0006_name_pinyin"),
        ("pools", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (the trigram index first: the new column's rewrite would rebuild it)
        *without_trigram_indexes("customers_account", ("name_pinyin",)),
        add_initials(
            "account", "name_initials", lianke.core.fields.PinyinInitialsField(source="name"), pinyin="name_pinyin"
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name_initials", "id"], name="cust_account_name_initials"),
        ),
        analyze("customers_account"),
    ]
