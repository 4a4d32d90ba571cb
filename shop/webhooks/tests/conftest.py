import pytest

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    """Retries due at once (the schedule itself is tested on its own), so a test can drive them with the sweep."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.0
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000
