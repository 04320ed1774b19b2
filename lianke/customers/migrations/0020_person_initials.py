"""A contact's name: the initials of its first reading in a column of their own, indexed with the
id (``core.fields.PinyinInitialsField``: "zw" → 张伟 is a b-tree prefix, counted and collected
from the index alone), and its other reading, a surname read its own way, in another
(``PinyinOtherReadingsField``: " danwei dw" for 单伟, "" for most) — the only pinyin searched as
contained text, so the trigram index moves from the pinyin column to that one, which holds
few names."""

import lianke.core.fields
from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import (
    add_initials,
    add_other_readings,
    analyze,
    trigram_indexes,
    without_trigram_indexes,
)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0019_name_initials'),
        ('org', '0006_name_pinyin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (the trigram index first: the new columns' rewrite would rebuild it)
        *without_trigram_indexes("customers_contact", ("name_pinyin",)),
        add_initials(
            "contact",
            "name_initials",
            lianke.core.fields.PinyinInitialsField(person=True, source="name"),
            pinyin="name_pinyin",
        ),
        add_other_readings(
            "contact",
            "name_pinyin_other",
            lianke.core.fields.PinyinOtherReadingsField(source="name"),
            pinyin="name_pinyin",
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['name_initials', 'id'], name='cust_contact_name_initials'),
        ),
        *trigram_indexes("customers_contact", ("name_pinyin_other",)),
        analyze("customers_contact"),
    ]
