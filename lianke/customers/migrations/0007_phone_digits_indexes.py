"""The b-tree indexes that serve phone search (full number and prefix), built once filled."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_fill_phone_digits")]

    operations = [
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["phone_digits"], name="cust_account_phone_digits"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["mobile_digits"], name="cust_contact_mobile_digits"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["phone_digits"], name="cust_contact_phone_digits"),
        ),
    ]
