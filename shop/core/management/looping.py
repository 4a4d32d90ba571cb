"""A management command that runs once, or every ``--loop SECONDS`` until interrupted: periodic work for machines
without Celery beat (``make run`` starts the unpaid-order expiry, the webhooks sweep and the order e-mails sweep
this way)."""

import time

from django.core.management.base import BaseCommand
from django.db import connections


class LoopingCommand(BaseCommand):
    """Subclasses set ``help`` and implement :meth:`run_once`, returning the line to print for one run."""

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="Run again every SECONDS until interrupted (for machines without Celery beat).")

    def run_once(self) -> str:
        raise NotImplementedError

    def handle(self, *args, loop: int = 0, **options):
        while True:
            self.stdout.write(self.run_once())
            if loop <= 0:
                return
            connections.close_all()  # idle between runs: hold no database connection while sleeping
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
