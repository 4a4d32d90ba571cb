import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def _settings_with(env: dict) -> dict:
    code = ("import json, config.settings.base as s; "
            "print(json.dumps({'urlconf': s.ROOT_URLCONF}))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


# Image storage (filesystem, or S3 when AWS_STORAGE_BUCKET_NAME is set) is covered by tests/test_deploy_settings.py.


def test_the_bench_ceiling_view_exists_only_with_bench_ceiling_set():
    assert _settings_with({"BENCH_CEILING": "0"})["urlconf"] == "config.urls"
    assert _settings_with({"BENCH_CEILING": "1"})["urlconf"] == "bench.ceiling_urls"


@pytest.mark.django_db
def test_the_ceiling_view_is_not_in_production_urls(api_client):
    assert api_client.get("/bench/ceiling/").status_code == 404
