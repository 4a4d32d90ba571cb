"""The sandbox's hosted checkout page: HTML for a person in a browser, not an API (it is not in the schema).

``GET /payments/sandbox/pay/<token>/`` shows the payment with Succeed / Fail buttons; ``POST`` (a button) runs
``payment_sandbox_outcome`` (the path a verified webhook runs) and then redirects (303) to the checkout's
``return_url`` with ``order_key`` and ``status`` (``paid`` or ``failed``) in its query, or back to the page,
which then shows the outcome, when the checkout gave none.

Authorisation is the signed token in the URL (``sandbox.page_token_read``), bound to one payment and its charge,
exactly like a real gateway's checkout link: no Bearer header, no cookie. That is also why the form needs no
CSRF cookie: a cross-site form cannot post without knowing the token, and the token is what authorises the
post. Any token that does not open a payment (malformed, tampered, expired, another charge) gets the same 404,
so the page says nothing about which payments exist.

Every answer, the page, its errors and the POST's 303 redirect alike, is ``Cache-Control: no-store``, like the API's
payment answers (``shop.core.views.NoStoreMixin``): the URL is a bearer token, and a redirect a cache kept would
replay an outcome. It is HTML only: ``?format=html`` is the page, any other ``?format=`` (``json`` too: its JSON is
``GET /payments/sandbox/{payment id}/``, for a Bearer-authenticated script) is the API's JSON 406 ``not_acceptable``
before anything runs, a POST included.
"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from shop.core.exceptions import ApplicationError
from shop.core.links import url_with_query
from shop.core.negotiation import format_refused
from shop.core.views import NoStoreMixin

from . import selectors, services
from .models import Payment
from .return_urls import return_url_check
from .sandbox import page_token_read

INVALID_LINK = "This payment link is invalid or has expired."
OUTCOMES = {"succeed": True, "fail": False}
# Nothing but the page's own inline styles; the token must not leak to the return site in a Referer header.
# (Cache-Control: no-store goes on every answer: NoStoreMixin.)
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "frame-ancestors 'none'",
}


def _page(request, *, status: int, payment: Payment | None = None, message: str = "", return_url: str = ""):
    is_open = payment is not None and payment.status in Payment.ACTIVE
    html = render_to_string("payments/sandbox_page.html", {
        "payment": payment,
        "open": is_open,
        "message": message,
        # Once the payment is settled, a link back carries what the redirect would have.
        "back_url": url_with_query(return_url, status=_return_status(payment)) if return_url and payment and
        not is_open else "",
    }, request=request)
    response = HttpResponse(html, status=status)
    for name, value in HEADERS.items():
        response[name] = value
    return response


def _return_status(payment: Payment) -> str:
    """What the front end is told on the way back: a hint only, it reads the order from the API."""
    return "paid" if payment.status in Payment.CAPTURED else "failed"


def _payment_for(token: str) -> tuple[Payment | None, str]:
    """The payment a token opens and the return URL it carries; ``(None, "")`` for any token that opens none."""
    page_token = page_token_read(token) if settings.PAYMENTS_SANDBOX_ENABLED else None
    if page_token is None:
        return None, ""
    payment = selectors.sandbox_payment_for_page(payment_id=page_token.payment_id,
                                                 provider_payment_id=page_token.provider_payment_id)
    return payment, page_token.return_url


@method_decorator(csrf_exempt, name="dispatch")  # the signed token in the URL authorises the post (module doc)
class SandboxPageView(NoStoreMixin, View):
    """The page (GET) and its two buttons (POST ``outcome=succeed|fail``); 404 unless the sandbox is on."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        # Refused before the page or a button runs; NoStoreMixin (below this in the MRO) marks every other answer.
        refused = format_refused(request, formats=("html",))
        if refused is not None:
            patch_cache_control(refused, no_store=True)
            return refused
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token: str):
        payment, return_url = _payment_for(token)
        if payment is None:
            return _page(request, status=404, message=INVALID_LINK)
        return _page(request, status=200, payment=payment, return_url=return_url)

    def post(self, request, token: str):
        payment, return_url = _payment_for(token)
        if payment is None:
            return _page(request, status=404, message=INVALID_LINK)
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES:
            return _page(request, status=400, payment=payment, return_url=return_url,
                         message="Choose Succeed or Fail (form field outcome).")
        try:
            # Checked again before anything moves: the allowed origins may have changed since the checkout.
            return_url_check(return_url, request=request)
            services.payment_sandbox_outcome(payment_id=payment.pk, user=None, succeed=OUTCOMES[outcome])
        except ApplicationError as exc:
            payment.refresh_from_db()
            return _page(request, status=exc.status_code, payment=payment, message=exc.message,
                         return_url="" if exc.code == "return_url_not_allowed" else return_url)
        payment.refresh_from_db()
        target = url_with_query(return_url, status=_return_status(payment)) if return_url else request.path
        response = HttpResponseRedirect(target, status=303)
        response["Referrer-Policy"] = HEADERS["Referrer-Policy"]
        return response
