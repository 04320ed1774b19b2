from django.db import migrations


def shared_to_root_departments(apps, schema_editor):
    """A view "shared with everyone" becomes one shared with the top of the org tree."""
    SavedView = apps.get_model("core", "SavedView")
    Department = apps.get_model("org", "Department")
    roots = list(Department.objects.filter(parent__isnull=True))
    for view in SavedView.objects.filter(is_shared=True):
        view.shared_departments.set(roots)


def roots_to_shared(apps, schema_editor):
    SavedView = apps.get_model("core", "SavedView")
    SavedView.objects.filter(shared_departments__parent__isnull=True).update(is_shared=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_savedview_sharing"),
        ("org", "0001_initial"),
    ]

    operations = [migrations.RunPython(shared_to_root_departments, roots_to_shared)]
