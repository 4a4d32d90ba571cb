"""Real-browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright against pytest-django's ``live_server``.

Playwright's own browser download is never used (no ``playwright install``): the system Chromium is launched through
``executable_path`` with a fresh profile and no background traffic. Screenshots go to ``.ci/artifacts/browser/``.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".ci" / "artifacts" / "browser"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the test body and fixtures in
    # the same thread) would otherwise refuse to run "from an async context".
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="shop-chromium-")
    playwright = sync_api.sync_playwright().start()
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, request):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    page.close()
    browser.clear_cookies()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


PASSWORD = "Browser-Test-Pass-1"


@pytest.fixture
def staff(db):
    from shop.accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True, password=PASSWORD)


def expect(page, selector: str, text: str | None = None):
    """The first element matching ``selector`` (and containing ``text``), once it is visible."""
    locator = page.locator(selector)
    if text is not None:
        locator = locator.filter(has_text=text)
    # 90 s, not Playwright's 30: Swagger UI builds the whole reference (the schema is generated on first request)
    # before the first operation shows, which took over 30 s on a loaded CI machine.
    locator.first.wait_for(state="visible", timeout=90_000)
    return locator.first


def admin_login(page, live_server, staff):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page, "#site-name")
    assert "/admin/login/" not in page.url
