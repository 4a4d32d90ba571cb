import time

from django.core.management.base import BaseCommand
from django.db import connections

from shop.orders.services import expire_unpaid_orders


class Command(BaseCommand):
    help = "Cancel unpaid orders past their payment deadline (restoring stock). --loop SECONDS repeats forever."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="Run again every SECONDS until interrupted (for machines without Celery beat).")

    def handle(self, *args, loop: int = 0, **options):
        while True:
            expired = expire_unpaid_orders()
            self.stdout.write(f"expired {expired} unpaid order(s)")
            if loop <= 0:
                return
            connections.close_all()  # idle between runs: hold no database connection while sleeping
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
