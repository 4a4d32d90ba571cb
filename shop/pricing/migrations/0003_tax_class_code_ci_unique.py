"""Tax class codes unique ignoring case, like product slugs and SKUs.

Before the constraint, classes whose codes differ only in case (``books`` and ``Books``, allowed until now) are
told apart: the oldest keeps its code, each later one gets ``-<id>`` appended. Products, variants and shipping
methods point at classes by id, so they keep their class; orders keep the code they were taxed as.
"""

import django.db.models.functions.text
from django.db import migrations, models


def _rename_case_duplicates(apps, schema_editor):
    tax_classes = apps.get_model("pricing", "TaxClass")
    seen: set[str] = set()
    for pk, code in tax_classes.objects.order_by("id").values_list("id", "code").iterator():
        if code.lower() in seen:
            tax_classes.objects.filter(pk=pk).update(code=f"{code[:40]}-{pk}")
        seen.add(code.lower())


class Migration(migrations.Migration):

    dependencies = [
        ('pricing', '0002_seed_tax_classes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='taxclass',
            name='code',
            field=models.SlugField(help_text="Stable identifier, e.g. 'reduced' (case is ignored)."),
        ),
        migrations.RunPython(_rename_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='taxclass',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('code'), name='pricing_taxclass_code_ci_unique', violation_error_message='A tax class with this code already exists (codes ignore case).'),
        ),
    ]
