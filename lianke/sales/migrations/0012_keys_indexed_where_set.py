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
        ('customers', '0018_keys_indexed_where_set'),
        ('org', '0006_name_pinyin'),
        ('sales', '0011_stage_sets_are_configuration'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyIndex(
            model_name='competitor',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterForeignKeyIndex(
            model_name='opportunity',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterForeignKeyIndex(
            model_name='opportunitycompetitor',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='competitor',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='sales_comp_deleted_by_set'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='sales_opp_deleted_by_set'),
        ),
        migrations.AddIndex(
            model_name='opportunitycompetitor',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='sales_oppcomp_deleted_by_set'),
        ),
        analyze("sales_competitor", "sales_opportunity", "sales_opportunitycompetitor"),
    ]
