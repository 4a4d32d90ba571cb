"""What the runtime install (``requirements.lock`` alone: ``make run``, ``make serve``, deploy/Dockerfile) must hold.

The tests run in the development environment, which also has every development tool's dependencies, so a package
that the runtime code imports but only a development tool brought in is never missed there: this test hides
every package requirements.lock does not list. kombu 5.7.0's
Redis transport imports ``packaging`` without declaring it: with only the runtime lock installed, no task could be
queued and no worker could start (a customer's money on a cancelled order was never refunded).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a production process loads: the settings and URLs, the WSGI app, gunicorn's worker, and Celery with its
# Redis broker transport, result backend and worker machinery (the modules `celery -A config worker` imports).
# Run as if only the runtime lock were installed: an import of a package that only requirements-dev.lock brings
# fails as on a runtime install (an optional import then takes its fallback, as it would there).
_LOAD_RUNTIME = """
import importlib, importlib.abc, json, os, re, sys
from importlib.metadata import packages_distributions
locked = set(json.loads(sys.argv[1]))
owners = packages_distributions()

class RuntimeOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        dists = owners.get(name.split(".")[0])
        if dists and not any(re.sub(r"[-_.]+", "-", d).lower() in locked for d in dists):
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements.lock)", name=name)
        return None

sys.meta_path.insert(0, RuntimeOnly())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
for name in ["config.urls", "config.wsgi", "config.celery", "gunicorn.app.wsgiapp", "gunicorn.workers.gthread",
             "kombu.transport.redis", "celery.backends.redis", "celery.apps.worker", "celery.worker.consumer",
             "celery.concurrency.prefork", "celery.beat", "django_redis.cache", "stripe", "httpx"]:
    importlib.import_module(name)
import django.urls
django.urls.get_resolver().url_patterns  # every app's views and serializers
from kombu import Connection
Connection("redis://127.0.0.1:6379/0").transport  # the broker transport class, as queuing a task builds it
print("ok")
"""


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(path: Path) -> set[str]:
    return {_normalized(line.split("==")[0]) for line in path.read_text().splitlines() if re.match(r"^[A-Za-z]", line)}


def test_a_production_process_starts_with_the_runtime_lock_alone():
    locked = sorted(_locked(ROOT / "requirements.lock"))
    loaded = subprocess.run(
        [sys.executable, "-c", _LOAD_RUNTIME, json.dumps(locked)], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), "SECRET_KEY": "runtime-lock-test"},
    )

    assert loaded.returncode == 0 and loaded.stdout.strip().endswith("ok"), loaded.stderr[-3000:]
