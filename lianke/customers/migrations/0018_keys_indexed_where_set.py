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
        ('customers', '0017_scope_indexes_live'),
        ('org', '0006_name_pinyin'),
        ('pools', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyIndex(
            model_name='account',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        AlterForeignKeyIndex(
            model_name='account',
            name='parent',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='customers.account', verbose_name='parent account'),
        ),
        AlterForeignKeyIndex(
            model_name='account',
            name='pool',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='The pool the record sits in while it has no owner.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='pools.pool', verbose_name='pool'),
        ),
        AlterForeignKeyIndex(
            model_name='contact',
            name='deleted_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='cust_account_deleted_by_set'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(condition=models.Q(('parent__isnull', False)), fields=['parent'], name='cust_account_parent_set'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(condition=models.Q(('pool__isnull', False)), fields=['pool'], name='cust_account_pool_set'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(condition=models.Q(('deleted_by__isnull', False)), fields=['deleted_by'], name='cust_contact_deleted_by_set'),
        ),
        analyze("customers_account", "customers_contact"),
    ]
