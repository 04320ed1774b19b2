"""A lead's statuses become configuration (Settings › Lead statuses): the table of statuses,
filled with the five system statuses and the transitions the code declared until now; the
status field reads its choices from it. The table is watched by ``core.configcache``: this
migration installs its triggers."""

from django.db import migrations, models

import lianke.marketing.statuses

FIVE = [
    # code, Chinese name, English name, may move to
    ("new", "新建", "New", ["contacted", "qualified", "unqualified"]),
    ("contacted", "已联系", "Contacted", ["new", "qualified", "unqualified"]),
    ("qualified", "有效", "Qualified", ["contacted", "converted", "unqualified"]),
    ("unqualified", "无效", "Unqualified", ["contacted", "new"]),
    ("converted", "已转换", "Converted", []),
]


def add_the_five(apps, schema_editor):
    status = apps.get_model("marketing", "LeadStatusOption")
    for place, (code, name, name_en, next_codes) in enumerate(FIVE, start=1):
        status.objects.get_or_create(
            code=code,
            defaults={
                "category": code,
                "name": name,
                "name_en": name_en,
                "order": place * 10,
                "next_codes": next_codes,
            },
        )


def install_triggers(apps, schema_editor):
    from lianke.core import configcache

    configcache.install(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_configversion"),
        ("marketing", "0017_person_initials"),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadStatusOption",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.SlugField(max_length=20, unique=True, verbose_name="code")),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("contacted", "Contacted"),
                            ("qualified", "Qualified"),
                            ("unqualified", "Unqualified"),
                            ("converted", "Converted"),
                        ],
                        max_length=20,
                        verbose_name="category",
                    ),
                ),
                ("name", models.CharField(max_length=50, verbose_name="name")),
                ("name_en", models.CharField(blank=True, max_length=50, verbose_name="name (English)")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("next_codes", models.JSONField(blank=True, default=list, verbose_name="may move to")),
            ],
            options={
                "verbose_name": "lead status",
                "verbose_name_plural": "lead statuses",
                "ordering": ["order", "id"],
            },
        ),
        migrations.AlterField(
            model_name="lead",
            name="status",
            field=models.CharField(
                choices=lianke.marketing.statuses.choices, default="new", max_length=20, verbose_name="status"
            ),
        ),
        migrations.RunPython(add_the_five, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, migrations.RunPython.noop, elidable=True),
    ]
