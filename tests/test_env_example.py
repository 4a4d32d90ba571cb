"""`.env.example` must name every variable the settings and the server config read: it is the reference."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# env("X"), env.int("X", ...) in settings; os.environ.get("X") / os.environ["X"] / _env_int("X") in gunicorn.conf.py
# (its per-request WSGI `environ.get(...)` lookups are not configuration, hence the `os.` prefix).
READS = re.compile(r"""(?:\benv(?:\.\w+)?\(|os\.environ(?:\.get)?[\[(]|_env_int\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def _variables_read() -> set[str]:
    files = [*ROOT.glob("config/settings/*.py"), ROOT / "gunicorn.conf.py"]
    return {match.group(1) for path in files for match in READS.finditer(path.read_text())}


def test_every_variable_the_settings_read_is_documented_in_env_example():
    documented = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    read = _variables_read()

    assert len(read) > 40  # the scan itself works
    assert read - documented == set()
