import io
import re

import pytest
from django.core.management import call_command

from shop.catalog.models import Product

pytestmark = pytest.mark.django_db


def test_seed_catalog_shows_a_progress_bar_on_stderr():
    stderr, stdout = io.StringIO(), io.StringIO()

    call_command("seed_catalog", products=250, batch_size=100, stdout=stdout, stderr=stderr)

    bar = stderr.getvalue()
    # tqdm redraws its line (at most ten times a second) as batches land, ending with the total and the rate.
    assert re.search(r"Creating:\s+0%.*0(\.00)?/250", bar), bar
    assert re.search(r"Creating: 100%.*\| 250/250 \[\d\d:\d\d<00:00, .* products/s\]", bar), bar
    assert "Created 250 products" in stdout.getvalue()
    assert Product.objects.count() == 250


def test_seed_catalog_progress_bar_can_be_turned_off():
    stderr = io.StringIO()

    call_command("seed_catalog", products=20, no_progress=True, stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue() == ""
    assert Product.objects.count() == 20
