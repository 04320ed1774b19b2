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
        ('activities', '0010_scope_indexes_live'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0017_scope_indexes_live'),
        ('org', '0006_name_pinyin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyIndex(
            model_name='activity',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='activity',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='act_deleted_by_set'),
        ),
        analyze("activities_activity"),
    ]
