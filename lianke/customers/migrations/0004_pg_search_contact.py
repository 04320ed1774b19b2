from django.db import migrations

from lianke.core.migration_operations import search_indexes


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_pg_search_account")]
    operations = search_indexes("customers_contact", ("name", "mobile", "phone", "email",))
