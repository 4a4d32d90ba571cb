"""One settings row per payment method of the registry (shop.payments.methods.KNOWN_METHODS), all active and
unlimited, so staff find every method in the admin with its id. A method without a row behaves the same."""

from django.db import migrations

# (number, code) as in KNOWN_METHODS when this migration was written; a later method gets its own migration.
METHODS = ((1, "stripe"), (2, "paymob"), (3, "intasend"), (4, "sandbox"), (5, "cod"))


def create_rows(apps, schema_editor):
    setting = apps.get_model("payments", "PaymentMethodSetting")
    setting.objects.bulk_create([setting(id=number, code=code) for number, code in METHODS], ignore_conflicts=True)


def delete_rows(apps, schema_editor):
    apps.get_model("payments", "PaymentMethodSetting").objects.filter(id__in=[n for n, _ in METHODS]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_payment_method_settings")]

    operations = [migrations.RunPython(create_rows, delete_rows)]
