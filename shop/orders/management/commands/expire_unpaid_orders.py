from shop.core.management.looping import LoopingCommand
from shop.orders.services import expire_unpaid_orders


class Command(LoopingCommand):
    help = "Cancel unpaid orders past their payment deadline (restoring stock). --loop SECONDS repeats forever."

    def run_once(self) -> str:
        return f"expired {expire_unpaid_orders()} unpaid order(s)"
