import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def _settings_with(env: dict) -> dict:
    code = ("import json, config.settings.base as s; "
            "print(json.dumps({'storage': s.STORAGES['default'], 'urlconf': s.ROOT_URLCONF}))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def test_image_storage_is_the_filesystem_by_default_and_s3_when_a_bucket_is_set():
    default = _settings_with({"CATALOG_S3_BUCKET": ""})
    s3 = _settings_with({"CATALOG_S3_BUCKET": "shop-images", "CATALOG_S3_ENDPOINT_URL": "http://127.0.0.1:9000"})

    assert default["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert s3["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["storage"]["OPTIONS"]["bucket_name"] == "shop-images"
    assert s3["storage"]["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"


def test_the_bench_ceiling_view_exists_only_with_bench_ceiling_set():
    assert _settings_with({"BENCH_CEILING": "0"})["urlconf"] == "config.urls"
    assert _settings_with({"BENCH_CEILING": "1"})["urlconf"] == "bench.ceiling_urls"


@pytest.mark.django_db
def test_the_ceiling_view_is_not_in_production_urls(api_client):
    assert api_client.get("/bench/ceiling/").status_code == 404
