"""Identifiers unique among live rows only, slugs ignoring case.

Before the case-insensitive constraints, rows whose slugs differ only in case (allowed until now) are
renamed: the oldest keeps its slug, each later one gets ``-<id>`` appended, so the constraints can be created.
"""

import django.db.models.functions.text
from django.db import migrations, models


def _rename_case_duplicates(apps, schema_editor):
    for model_name, live_only in (("Category", False), ("Product", True)):
        model = apps.get_model("catalog", model_name)
        rows = model.objects.filter(is_deleted=False) if live_only else model.objects.all()
        seen: set[str] = set()
        for pk, slug in rows.order_by("id").values_list("id", "slug").iterator():
            if slug.lower() in seen:
                model.objects.filter(pk=pk).update(slug=f"{slug[:120]}-{pk}")
            seen.add(slug.lower())


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_public_partial_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='productvariant',
            name='deleted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='category',
            name='slug',
            field=models.SlugField(max_length=140),
        ),
        migrations.AlterField(
            model_name='product',
            name='slug',
            field=models.SlugField(max_length=220),
        ),
        migrations.AlterField(
            model_name='productvariant',
            name='sku',
            field=models.CharField(db_index=True, max_length=64),
        ),
        migrations.RunPython(_rename_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='category',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('slug'), name='catalog_category_slug_ci_unique', violation_error_message='A category with this slug already exists (slugs ignore case).'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('slug'), condition=models.Q(('is_deleted', False)), name='catalog_product_slug_live_ci_unique', violation_error_message='A live product with this slug already exists (slugs ignore case).'),
        ),
        migrations.AddConstraint(
            model_name='productvariant',
            constraint=models.UniqueConstraint(condition=models.Q(('is_deleted', False)), fields=('sku',), name='catalog_variant_sku_live_unique', violation_error_message='A live variant with this SKU already exists.'),
        ),
    ]
