"""The b-tree indexes that serve phone search on leads (full number and prefix)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("marketing", "0005_fill_phone_digits")]

    operations = [
        migrations.AddIndex(
            model_name="lead", index=models.Index(fields=["mobile_digits"], name="mkt_lead_mobile_digits")
        ),
        migrations.AddIndex(
            model_name="lead", index=models.Index(fields=["phone_digits"], name="mkt_lead_phone_digits")
        ),
    ]
