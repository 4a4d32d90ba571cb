"""The demo shop ``make run`` serves: catalog with generated images, shipping methods, a demo customer with orders,
a voucher to try (``WELCOME10``) and a running promotion.

    manage.py seed_demo            create only what never existed (staff edits to prices, stock... are kept, and
                                   demo products, variants, categories, images, shipping methods staff deleted
                                   stay deleted)
    manage.py seed_demo --reset    restore the original demo catalog (deleted demo items back too), shipping
                                   methods and demo password; a deleted demo voucher or promotion is made again
                                   (existing ones, used by orders or edited by staff, are never changed)

It says what it created and prints the demo customer's credentials. Orders are history and are never deleted or
rewritten, not even by ``--reset``: the missing demo orders are placed again, the others stay as they are.
"""

import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand

from shop.catalog.demo import demo_catalog_seed
from shop.discounts.demo import demo_discounts_describe, demo_discounts_seed
from shop.orders.demo import (
    DEMO_CUSTOMER_EMAIL,
    DEMO_CUSTOMER_PASSWORD,
    demo_customer_seed,
    demo_order_states,
    demo_orders_seed,
    demo_shipping_methods_seed,
)

LABELS = [("categories", "category", "categories"), ("products", "product", "products"),
          ("images", "generated image", "generated images"), ("variants", "variant", "variants"),
          ("shipping_methods", "shipping method", "shipping methods"), ("customer", "demo customer", ""),
          ("orders", "demo order", "demo orders"), ("vouchers", "voucher", "vouchers"),
          ("promotions", "promotion", "promotions")]


@contextmanager
def _quiet(*names: str):
    """Celery logs every eager task it runs: dozens of lines that would bury the summary ``make run`` prints."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = ("Create what is missing of the demo shop (catalog with images, shipping methods, a demo customer with "
            "orders, a voucher and a promotion); --reset restores the original demo catalog.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true",
            help="Put every demo category, product (price, description, stock, images), variant and shipping "
                 "method back as first seeded, deleted ones included, and the demo customer's password. Products "
                 "staff created and all orders are left alone.",
        )

    def handle(self, *args, reset: bool = False, **options):
        created = demo_catalog_seed(reset=reset)
        created["shipping_methods"] = demo_shipping_methods_seed(reset=reset)
        user, created["customer"] = demo_customer_seed(reset=reset)
        with _quiet("celery.app.trace"):
            created["orders"], skipped = demo_orders_seed(user=user)
        # After the orders: the demo orders are priced as they always were, whatever runs on sale now.
        created.update(demo_discounts_seed(reset=reset))

        made = [f"{created[key]} {plural}" if created[key] > 1 else f"1 {singular}"
                for key, singular, plural in LABELS if created[key]]
        if reset:
            self.stdout.write(self.style.SUCCESS(
                f"Demo restored: {created['restored_products']} demo products back to their original price, "
                f"description, stock and images." + (f" Created {', '.join(made)}." if made else "")))
        elif made:
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {', '.join(made)}."))
        else:
            self.stdout.write("Demo data: all present, nothing changed (`manage.py seed_demo --reset` restores the "
                              "original demo catalog).")
        if created["left_deleted"] and not reset:
            self.stdout.write(f"Left deleted: {created['left_deleted']} demo item(s) staff deleted "
                              "(`manage.py seed_demo --reset` brings them back).")
        for reason in skipped:
            self.stdout.write(self.style.WARNING(f"Demo order skipped ({reason})."))
        states = demo_order_states(user=user)
        self.stdout.write(f"Demo customer: {DEMO_CUSTOMER_EMAIL} / {DEMO_CUSTOMER_PASSWORD}, "
                          + (f"{len(states)} demo orders as they stand now:" if states else "no demo orders."))
        for line in states:
            self.stdout.write(f"  {line}")
        for line in demo_discounts_describe():
            self.stdout.write(line)
