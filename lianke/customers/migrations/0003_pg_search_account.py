from django.db import migrations

from lianke.core.migration_operations import search_indexes


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]
    operations = search_indexes("customers_account", ("name", "short_name", "phone", "credit_code",))
