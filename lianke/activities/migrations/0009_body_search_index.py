"""The activity body is a search field (``ActivityObject.search_fields``) and had no trigram
index (system check ``lianke.W003``): on PostgreSQL a search read every activity. Built
concurrently — ten million follow-ups keep being logged while it builds."""

from django.db import migrations

from lianke.core.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("activities", "0008_one_index_per_foreign_key")]

    operations = trigram_indexes("activities_activity", ("body",), concurrently=True)
