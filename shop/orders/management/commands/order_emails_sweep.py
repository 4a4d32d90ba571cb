from shop.core.management.looping import LoopingCommand
from shop.orders.services import order_emails_sweep


class Command(LoopingCommand):
    help = ("Send again the order e-mails whose sender died after claiming them (claims older than the lease). "
            "--loop SECONDS repeats forever (for machines without Celery beat).")

    def run_once(self) -> str:
        return f"order e-mails sweep: {order_emails_sweep()} handed to a new task"
