import time

from django.core.management.base import BaseCommand
from django.db import connections

from shop.webhooks.services import webhooks_sweep


class Command(BaseCommand):
    help = ("Relay events no task relayed, send due webhook retries, prune the delivery log. --loop SECONDS repeats "
            "forever (for machines without Celery beat).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="Run again every SECONDS until interrupted.")

    def handle(self, *args, loop: int = 0, **options):
        while True:
            self.stdout.write(f"webhooks sweep: {webhooks_sweep()}")
            if loop <= 0:
                return
            connections.close_all()  # idle between runs: hold no database connection while sleeping
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
