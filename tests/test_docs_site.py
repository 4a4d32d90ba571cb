"""What a newcomer meets first: `/` answers an index of the docs, ReDoc loads nothing from a CDN, and `make run`
installs only what running needs (the test and browser tooling comes with `make test` and CI)."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINKS = {"docs": "/api/docs/", "redoc": "/api/redoc/", "schema": "/api/schema/", "admin": "/admin/",
         "health": "/health/"}


@pytest.mark.django_db
@pytest.mark.parametrize("base", ["/", "/api/v1/"])
def test_the_root_answers_an_index_of_the_docs_as_json(api_client, base):
    response = api_client.get(base)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["name"] == "Shop API" and body["version"] == "1.0.0"
    assert body["links"] == {name: f"http://testserver{path}" for name, path in LINKS.items()}
    for url in body["links"].values():  # every link answers (the admin with its login page)
        assert api_client.get(url.removeprefix("http://testserver")).status_code in (200, 302)


@pytest.mark.django_db
def test_a_browser_gets_the_index_as_a_small_page(api_client):
    response = api_client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>Shop API</title>" in html
    assert re.findall(r'href="([^"]+)"', html) == [f"http://testserver{path}" for path in LINKS.values()]
    assert not re.search(r"<(script|link|img)\b", html)  # nothing to fetch, from anywhere


@pytest.mark.django_db
def test_the_redoc_bundle_points_its_logo_at_a_local_file_and_is_cached(api_client):
    response = api_client.get("/api/redoc/redoc.standalone.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in response.content
    assert b'src:"/static/core/redoc-logo.svg"' in response.content
    logo = api_client.get("/static/core/redoc-logo.svg")
    assert logo.status_code == 200 and b"<svg" in b"".join(logo.streaming_content)
    again = api_client.get("/api/redoc/redoc.standalone.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def _make_dry_run(target: str) -> str:
    """The commands `make <target>` would run on a fresh clone (-B: as if nothing were installed yet)."""
    return subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True,  # noqa: S607
                          check=True).stdout


def test_make_run_installs_the_runtime_only_and_says_so():
    commands = _make_dry_run("run")

    assert "pip install" in commands and "-r requirements.lock" in commands
    assert "requirements-dev.lock" not in commands
    assert "Installing the runtime requirements" in commands and "--quiet" not in commands


@pytest.mark.parametrize("target", ["test", "lint", "install-dev"])
def test_tests_lint_and_ci_install_the_development_tools(target):
    commands = _make_dry_run(target)

    assert "-r requirements.lock -r requirements-dev.lock" in commands


def test_ci_installs_the_development_tools_before_using_them():
    script = (ROOT / ".ci" / "run").read_text()

    assert script.index("make install-dev") < script.index(".venv/bin/ruff check")
    assert "playwright" not in (ROOT / "requirements.lock").read_text().lower()
    assert "playwright" in (ROOT / "requirements-dev.lock").read_text().lower()
