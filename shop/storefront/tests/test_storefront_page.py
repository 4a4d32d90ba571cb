"""The reference storefront's page at /demo/: served by the project, every asset local (no CDN), off in
production. What it does in a browser is tested in tests/browser/test_storefront.py."""

import re

import pytest

from tests.test_foundation_production import GOOD_KEY, run

ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/[^"']+)["']""")
EXTERNAL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.I)


def test_the_page_is_one_html_with_one_script_and_one_stylesheet_all_local(client):
    response = client.get("/demo/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
    html = response.content.decode()
    assets = sorted(set(ASSET.findall(html)) - {"/api/docs/"})
    assert assets == ["/static/storefront/app.css", "/static/storefront/app.js"]
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content).decode()
        assert not EXTERNAL.search(body), f"external URL in {asset}"
        assert served["Content-Type"].split(";")[0] in ("text/css", "text/javascript", "application/javascript")
    assert not EXTERNAL.search(html)


def test_the_script_uses_cookie_mode_and_the_csrf_header(client):
    script = b"".join(client.get("/static/storefront/app.js").streaming_content).decode()

    # The contract a browser front end follows, stated where front-end developers will read it.
    assert "?use_cookies=true" in script
    assert '"X-CSRFToken"' in script and 'readCookie("csrftoken")' in script
    assert "Idempotency-Key" in script and "return_url" in script
    # Data goes in as text, never as markup.
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", script)


def test_the_page_is_a_404_when_disabled(client, settings):
    settings.DEMO_STOREFRONT_ENABLED = False

    response = client.get("/demo/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("true", "True")])
def test_production_settings_turn_it_off_unless_asked(value, expected):
    env = {"SECRET_KEY": GOOD_KEY, **({"DEMO_STOREFRONT_ENABLED": value} if value else {})}

    result = run("from django.conf import settings; import django; django.setup(); "
                 "print(settings.DEMO_STOREFRONT_ENABLED)", **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
