"""Who may use a cart route: a logged-in user (their own cart) or a guest naming a guest cart by ``X-Cart-Token``.

README ("Buying as a guest"): a wrong, closed or expired token is a 404 ``Cart not found.`` (the route's own
lookup); no token at all (no header, or a blank one) and no login is a 401 ``not_authenticated`` naming the token,
on every guest-cart route, guest checkout included.
"""

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission

from shop.cart.tokens import CART_TOKEN_HEADER, cart_token_of
from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError

NO_CART_OWNER = f"Log in, or send a guest cart's {CART_TOKEN_HEADER} header (from POST /cart/)."
NO_CART_TOKEN = (f"Send the guest cart's {CART_TOKEN_HEADER} header (from POST /cart/); a logged-in customer checks "
                 "out with POST /orders/checkout/.")


class HasCartOwner(BasePermission):
    """A logged-in user (their cart) or a request carrying ``X-Cart-Token`` (a guest cart); neither is a 401."""

    def has_permission(self, request, view) -> bool:
        if (request.user and request.user.is_authenticated) or cart_token_of(request) is not None:
            return True
        raise NotAuthenticated(NO_CART_OWNER)  # DRF adds the authenticator's WWW-Authenticate


class HasCartToken(BasePermission):
    """Guest checkout: a request carrying ``X-Cart-Token``. Without one it is the same 401 as the cart's routes.

    Raised as an ``ApplicationError`` because such a view authenticates nobody (``authentication_classes = ()``),
    and DRF turns a ``NotAuthenticated`` from a view without authenticators into a 403."""

    def has_permission(self, request, view) -> bool:
        if cart_token_of(request) is None:
            raise ApplicationError(NO_CART_TOKEN, code=CoreErrorCode.NOT_AUTHENTICATED, status_code=401)
        return True
