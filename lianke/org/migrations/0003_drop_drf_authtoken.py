"""DRF's ``authtoken`` app is gone (API tokens are ``org.ApiToken``, stored hashed): its table
of plain-text keys is dropped, with its content types and permissions. The old keys are not
carried over — nobody knows their hash would match a new key format, and they must not stay in
the database in clear. Reversing leaves nothing to restore (the keys are gone for good)."""

from django.db import migrations


def forget_authtoken_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
        migrations.RunPython(forget_authtoken_types, migrations.RunPython.noop),
    ]
