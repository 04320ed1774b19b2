"""History's index of related records holds only the changes that have one (a contact's, an
opportunity line's): a change of a top-level record writes nothing to it."""

from django.conf import settings
from django.db import migrations, models

from lianke.core.migration_operations import analyze


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0013_configversion'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='objectchange',
            name='core_object_related_480a40_idx',
        ),
        migrations.AddIndex(
            model_name='objectchange',
            index=models.Index(condition=models.Q(('related_content_type__isnull', False)), fields=['related_content_type', 'related_object_id', '-time'], name='core_change_related'),
        ),
        analyze("core_objectchange"),
    ]
