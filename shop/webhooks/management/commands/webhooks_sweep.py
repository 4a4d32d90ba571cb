from shop.core.management.looping import LoopingCommand
from shop.webhooks.services import webhooks_sweep


class Command(LoopingCommand):
    help = ("Relay events no task relayed, send due webhook retries, prune the delivery log. --loop SECONDS repeats "
            "forever (for machines without Celery beat).")

    def run_once(self) -> str:
        return f"webhooks sweep: {webhooks_sweep()}"
