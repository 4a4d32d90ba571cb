from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "shop.payments"
    label = "payments"

    def ready(self) -> None:
        from shop.orders import hooks

        from . import checks  # noqa: F401  (registers the start-up checks)
        from .methods import method_offered, pays_on_delivery
        from .notifications import order_email_payment_facts
        from .services import payments_cancel_for_order

        # The orders app sits below this one and never imports it: it reaches payments through these hooks.
        hooks.order_cancelled_register(payments_cancel_for_order)
        hooks.payment_methods_register(offered=method_offered, pays_on_delivery=pays_on_delivery)
        hooks.order_email_facts_register(order_email_payment_facts)
