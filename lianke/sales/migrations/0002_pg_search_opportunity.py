from django.db import migrations

from lianke.core.migration_operations import search_indexes


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = search_indexes("sales_opportunity", ("name",))
