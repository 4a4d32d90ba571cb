from shop.accounts.services import account_emails_sweep
from shop.core.management.looping import LoopingCommand


class Command(LoopingCommand):
    help = ("Send the account e-mails no task sent (the broker down at commit, a worker died): claims older than the "
            "lease. --loop SECONDS repeats forever (for machines without Celery beat).")

    def run_once(self) -> str:
        return f"account e-mails sweep: {account_emails_sweep()} handed to a new task"
