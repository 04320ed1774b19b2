"""The open-task index holds every column its queries read, for SQLite (which ignores ``INCLUDE``
columns and takes a partial index as covering only with its condition's columns in it)."""

from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import analyze


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0011_keys_indexed_where_set'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0020_person_initials'),
        ('org', '0006_name_pinyin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='activity',
            name='act_open_task_due',
        ),
        migrations.AddIndex(
            model_name='activity',
            index=models.Index(condition=models.Q(('is_deleted', False), ('is_done', False), ('kind', 'task')), fields=['assignee', 'due_at', 'id', 'owner', 'department', 'kind', 'is_done', 'is_deleted'], name='act_open_task_due'),
        ),
        analyze("act_open_task_due"),  # SQLite's ANALYZE takes one index as well as a table
    ]
