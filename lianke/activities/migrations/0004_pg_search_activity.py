from django.db import migrations

from lianke.core.migration_operations import search_indexes


class Migration(migrations.Migration):
    dependencies = [("activities", "0003_initial")]
    operations = search_indexes("activities_activity", ("subject",))
