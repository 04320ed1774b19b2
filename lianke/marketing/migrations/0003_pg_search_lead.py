from django.db import migrations

from lianke.core.migration_operations import search_indexes


class Migration(migrations.Migration):
    dependencies = [("marketing", "0002_initial")]
    operations = search_indexes("marketing_lead", ("name", "company", "mobile", "phone", "email",))
