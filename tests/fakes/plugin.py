"""Pytest fixtures for the fake gateways. Register with ``pytest_plugins = ["tests.fakes.plugin"]``.

Each server starts once per session (on first use) and is ``reset()`` before every test, so a test sees
an empty gateway, no queued failures and an empty ``requests`` log, without paying for a server start.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .intasend_server import FakeIntaSend
from .paymob_server import FakePaymob
from .stripe_server import FakeStripe


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture(scope="session")
def _fake_paymob_server() -> Iterator[FakePaymob]:
    with FakePaymob() as server:
        yield server


@pytest.fixture(scope="session")
def _fake_intasend_server() -> Iterator[FakeIntaSend]:
    with FakeIntaSend() as server:
        yield server


@pytest.fixture
def fake_stripe(_fake_stripe_server: FakeStripe) -> Iterator[FakeStripe]:
    _fake_stripe_server.reset()
    yield _fake_stripe_server
    _fake_stripe_server.reset()


@pytest.fixture
def fake_paymob(_fake_paymob_server: FakePaymob) -> Iterator[FakePaymob]:
    _fake_paymob_server.reset()
    yield _fake_paymob_server
    _fake_paymob_server.reset()


@pytest.fixture
def fake_intasend(_fake_intasend_server: FakeIntaSend) -> Iterator[FakeIntaSend]:
    _fake_intasend_server.reset()
    yield _fake_intasend_server
    _fake_intasend_server.reset()
