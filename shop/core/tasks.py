from .enqueue import enqueue_on_commit  # noqa: F401  # alias until orders/payments reshape lands
