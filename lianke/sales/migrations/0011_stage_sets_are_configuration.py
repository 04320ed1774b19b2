"""Stage sets and stages are configuration kept across requests (``core.configcache``): their
tables get the triggers that replace the configuration token. ``post_migrate`` installs the
triggers of every watched table after any migration; this migration makes an upgraded database
run it (without a pending migration, the system check E004 would stop ``lianke migrate`` itself)."""

from django.db import migrations


def install_triggers(apps, schema_editor):
    from lianke.core import configcache

    configcache.install(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_configversion"),
        ("sales", "0010_scope_indexes_live"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop, elidable=True)]
