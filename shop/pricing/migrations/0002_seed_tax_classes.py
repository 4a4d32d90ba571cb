from django.db import migrations

CLASSES = [
    ("standard", "Standard rate", True),
    ("reduced", "Reduced rate", False),
    ("zero", "Zero rate", False),
    ("exempt", "Exempt", False),
]


def seed(apps, schema_editor):
    TaxClass = apps.get_model("pricing", "TaxClass")
    has_default = TaxClass.objects.filter(is_default=True).exists()
    for code, name, is_default in CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name, "is_default": is_default and not has_default})


def unseed(apps, schema_editor):
    apps.get_model("pricing", "TaxClass").objects.filter(code__in=[code for code, _, _ in CLASSES], rates=None).delete()


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_tax_classes_and_rates")]
    operations = [migrations.RunPython(seed, unseed)]
