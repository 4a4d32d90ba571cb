"""Variant SKUs become unique ignoring case among live variants (``ABC-1`` and ``abc-1`` cannot both be live).

Live variants whose SKUs already differ only by case stop the migration with a list of them to rename (or delete)
first: renaming a SKU someone prints on labels is the shop's decision, not a migration's.
"""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_case_clashes(apps, schema_editor):
    variants = apps.get_model("catalog", "ProductVariant").objects.filter(is_deleted=False)
    clashes = list(
        variants.annotate(key=Lower("sku")).values("key").annotate(n=Count("id")).filter(n__gt=1)
        .values_list("key", flat=True)[:20]
    )
    if clashes:
        rows = variants.annotate(key=Lower("sku")).filter(key__in=clashes).order_by("key", "id")
        shown = ", ".join(f"{row.sku} (variant {row.pk})" for row in rows)
        raise RuntimeError(
            f"Live variants whose SKUs differ only by case: {shown}. Rename or delete all but one of each "
            "(PATCH /products/variants/<id>/ with a new sku), then migrate again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0005_demo_seed_record"),
    ]

    operations = [
        migrations.RunPython(refuse_case_clashes, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="productvariant",
            name="catalog_variant_sku_live_unique",
        ),
        migrations.AddConstraint(
            model_name="productvariant",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("sku"), condition=models.Q(("is_deleted", False)),
                name="catalog_variant_sku_live_ci_unique",
                violation_error_message="A live variant with this SKU already exists (SKUs ignore case).",
            ),
        ),
    ]
