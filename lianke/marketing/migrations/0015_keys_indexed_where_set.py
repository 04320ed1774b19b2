"""Foreign keys that most rows leave empty (who deleted a record, a parent account, a pool) are
indexed only where set (``core.models.base.set_only_indexes``): an insert without one writes
nothing to their index. The keys' own indexes are dropped without rebuilding the tables
(``AlterForeignKeyIndex``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import AlterForeignKeyIndex, analyze


class Migration(migrations.Migration):

    dependencies = [
        ('marketing', '0014_scope_indexes_live'),
        ('org', '0006_name_pinyin'),
        ('pools', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyIndex(
            model_name='lead',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterForeignKeyIndex(
            model_name='lead',
            name='pool',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='The pool the record sits in while it has no owner.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='pools.pool', verbose_name='pool'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='mkt_lead_deleted_by_set'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('pool__isnull', False)), fields=['pool'], name='mkt_lead_pool_set'),
        ),
        analyze("marketing_lead"),
    ]
