"""Real-browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright against pytest-django's ``live_server``.

Playwright's own browser download is never used (no ``playwright install``): the system Chromium is launched through
``executable_path`` with a fresh profile and no background traffic. Screenshots go to ``.ci/artifacts/browser/``.
"""

import os
import re
import shutil
import tempfile
from decimal import Decimal
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


# --- The reference storefront (/demo/) -----------------------------------------------------------------------------

STOREFRONT_PASSWORD = "Storefront-Pass-1"


@pytest.fixture
def lantern_shop(settings):
    """What a fresh `make run` offers: the sandbox and cash on delivery, links built on the server's own host; a
    24.50 Storm Lantern (5 in stock) and a 5.00 courier. Returns the lantern."""
    from shop.catalog.tests.factories import ProductFactory
    from shop.orders.tests.factories import ShippingMethodFactory

    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.DEMO_STOREFRONT_ENABLED = True
    settings.PUBLIC_BASE_URL = ""
    lantern = ProductFactory(name="Storm Lantern", slug="storm-lantern", price=Decimal("24.50"), stock_quantity=5)
    ShippingMethodFactory(name="Courier", price=Decimal("5.00"))
    return lantern


@pytest.fixture
def fresh_page(page, live_server, lantern_shop):
    """The storefront's first screen, without any guest token in localStorage (the browser profile is shared by
    the session's tests)."""
    page.goto(f"{live_server.url}/demo/")
    page.evaluate("localStorage.clear()")
    page.reload()
    expect(page, "#products a", "Storm Lantern")  # the first screen has rendered: the next clicks land on it
    yield page
    page.evaluate("localStorage.clear()")


def storefront_login(page, email: str, password: str = STOREFRONT_PASSWORD) -> None:
    """Log in through the storefront's form (cookie mode) and wait for the header to name the customer."""
    page.click("#nav-login")
    form = expect(page, "#login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.get_by_role("button", name="Log in").click()
    expect(page, "#nav-user", email)


def sandbox_pay(page, amount: str, *, succeed: bool = True) -> None:
    """On the sandbox's payment page the storefront sent the browser to: check it asks ``amount``, then press
    Succeed (or Fail), which sends the browser back to the shop."""
    page.wait_for_url(re.compile(r"/payments/sandbox/pay/[^/]+/$"))
    expect(page, "#amount", amount)
    page.get_by_role("button", name="Succeed" if succeed else "Fail").click()


def guest_checkout_form(page, email: str):
    """Go from the cart to the guest checkout and fill in ``email`` and a Mombasa address; returns the form (the
    shipping and payment choices, and placing the order, are the test's)."""
    page.click("#to-checkout")
    checkout = expect(page, "#guest-checkout-form")
    checkout.locator("input[name=email]").fill(email)
    checkout.locator("input[name=full_name]").fill("Grace Guest")
    checkout.locator("input[name=address_line_1]").fill("1 Harbour Road")
    checkout.locator("input[name=city]").fill("Mombasa")
    checkout.locator("input[name=country]").fill("KE")
    return checkout
