"""Competitors are searched by name and short name, and an opportunity's competitors by the
competitor's name (system check ``lianke.W003``): trigram indexes on PostgreSQL."""

from django.db import migrations

from lianke.core.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("sales", "0008_name_prefix_index")]

    operations = trigram_indexes("sales_competitor", ("name", "short_name"))
