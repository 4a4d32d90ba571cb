"""The cart's login hook: a login or register sending ``X-Cart-Token`` merges that guest cart into the user's.

``X-Cart-Merge`` picks the strategy (``merge``, the default, ``replace`` or ``keep``; see ``shop.cart.guest``).
The answer's ``cart_merge`` says what happened, line by line.
"""

from shop.core.exceptions import ApplicationError

from .errors import CartErrorCode
from .guest import MergeStrategy, cart_merge_guest
from .tokens import cart_token_of

MERGE_HEADER = "X-Cart-Merge"


def _strategy(request) -> str:
    raw = request.headers.get(MERGE_HEADER, "").strip().lower()
    if not raw:
        return MergeStrategy.MERGE
    if raw not in {strategy.value for strategy in MergeStrategy}:
        choices = ", ".join(MergeStrategy)
        raise ApplicationError(f"{MERGE_HEADER} must be one of {choices}.", code=CartErrorCode.INVALID_CART_MERGE,
                               extra={"errors": {MERGE_HEADER: [f"Choose one of {choices}."]}})
    return raw


class CartMergeHook:
    key = "cart_merge"

    def check(self, request) -> None:
        if cart_token_of(request) is not None:
            _strategy(request)

    def after_login(self, request, user) -> dict | None:
        token = cart_token_of(request)
        if token is None:
            return None
        return cart_merge_guest(user=user, token=token, strategy=_strategy(request)).as_dict()
