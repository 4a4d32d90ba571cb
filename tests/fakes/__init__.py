"""Fake payment gateways over real HTTP on 127.0.0.1, for tests. Fixtures live in ``tests.fakes.plugin``."""

from .intasend_server import FakeIntaSend
from .paymob_server import FakePaymob
from .stripe_server import FakeStripe

__all__ = ["FakeIntaSend", "FakePaymob", "FakeStripe"]
