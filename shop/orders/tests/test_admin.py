"""The shop owner's order desk in the Django admin, through Django's test client: what the order page shows,
the fulfilment buttons (the same services as the staff API, refusing what they refuse), and the records the
admin must never write."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.utils.html import escape

from shop.accounts.tests.factories import UserFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderStatusChange, Shipment
from shop.orders.services import LineRequest, order_ship
from shop.payments.checkout import order_place_and_pay
from shop.payments.models import Payment, Refund, WebhookEvent

from .factories import cod_order, paid_order, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments_on(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"


@pytest.fixture
def product():
    return ProductFactory(name="Desk Lamp", price=Decimal("40.00"), stock_quantity=10)


def fulfil(client, order, action, data=None):
    """Post a button's form as a browser does, following the redirect back to the order page."""
    return client.post(f"/admin/orders/order/{order.pk}/fulfil/{action}/", data or {}, follow=True)


def back_on_the_order_page(response, order) -> bool:
    return response.redirect_chain == [(f"/admin/orders/order/{order.pk}/change/", 302)]


def messages_of(response) -> list[tuple[str, str]]:
    """The messages the page showed, or those a redirect carries to the next page."""
    if response.status_code == 302:
        return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def snapshot(order: Order):
    order.refresh_from_db()
    return (order.status, order.payment_status, order.updated_at, order.shipment.status,
            order.shipment.events.count(), order.status_history.count(),
            list(order.payments.values_list("status", "amount_refunded")))


# --- The order page -------------------------------------------------------------------------------------------

def test_order_page_shows_items_totals_address_payments_refunds_shipment_and_history(
        admin_web, user, staff_user, product, payments_on, django_assert_max_num_queries):
    order = paid_order(user, product, quantity=2)
    payment = order.payments.get()
    from shop.payments.services import payment_refund

    payment_refund(payment_id=payment.pk, user=staff_user, amount=Decimal("15.00"), reason="requested_by_customer")
    order_ship(order_id=order.pk, by=staff_user, carrier="DHL", tracking_number="JD0042",
               tracking_url="https://track.example.com/JD0042")

    with django_assert_max_num_queries(30):
        response = admin_web.get(f"/admin/orders/order/{order.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    for text in (order.order_key, "Desk Lamp", "80.00",  # item and total
                 "Ada Lovelace", "1 Analytical St", "London",  # the address snapshot
                 "sandbox", "Partially refunded", "15.00", "customer request",  # payments
                 "DHL", "JD0042", "https://track.example.com/JD0042", "Order placed", "Order shipped",  # tracking
                 "processing", "shipped"):  # history
        assert text in page, text
    assert page.count("<select") == 0  # a record: nothing to edit
    assert 'name="_save"' not in page
    for label in ("Add tracking event", "Mark delivered", "Refund"):
        assert label in page, label
    assert "fulfil-ship" not in page and "fulfil-cancel" not in page  # not offered to a shipped order


def test_the_list_filters_and_searches_orders(admin_web, user, product, payments_on):
    ada = UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    mine = paid_order(ada, product)
    other = cod_order(user, product)

    def keys(query):
        response = admin_web.get(f"/admin/orders/order/?{query}")
        assert response.status_code == 200
        return {key for key in (mine.order_key, other.order_key) if key in response.content.decode()}

    assert keys("") == {mine.order_key, other.order_key}
    assert keys("payment_status__exact=paid") == {mine.order_key}
    assert keys("payment_method__exact=cod") == {other.order_key}
    assert keys("status__exact=processing") == {mine.order_key, other.order_key}
    assert keys("status__exact=shipped") == set()
    day = mine.created_at
    assert keys(f"created_at__year={day.year}&created_at__month={day.month}&created_at__day={day.day}") == {
        mine.order_key, other.order_key}
    assert keys("created_at__year=2001") == set()
    assert keys("q=ada@example") == {mine.order_key}
    assert keys("q=Ada+Lovelace") == {mine.order_key}
    assert other.order_key in keys(f"q={other.pk}")  # by id (order keys may contain the same digits)
    assert keys(f"q={mine.order_key[-6:]}") == {mine.order_key}


# --- Fulfilment: the staff API's services behind each button ------------------------------------------------------

def test_ship_then_deliver_from_the_order_page(admin_web, user, staff_user, product, payments_on):
    order = paid_order(user, product)

    form = admin_web.get(f"/admin/orders/order/{order.pk}/fulfil/ship/")
    shipped = fulfil(admin_web, order, "ship", {"carrier": "DHL", "tracking_number": "JD1",
                                                   "tracking_url": "https://track.example.com/JD1"})
    delivered = fulfil(admin_web, order, "deliver", {"note": "Signed by the customer"})

    assert form.status_code == 200 and 'name="tracking_number"' in form.content.decode()
    assert back_on_the_order_page(shipped, order)
    assert messages_of(shipped) == [("success", f"Order {order.order_key} shipped.")]
    assert back_on_the_order_page(delivered, order)
    order.refresh_from_db()
    shipment = order.shipment
    assert (order.status, shipment.status, shipment.carrier, shipment.tracking_number) == (
        "delivered", "DELIVERED", "DHL", "JD1")
    assert shipment.delivered_at is not None
    assert list(order.status_history.values_list("to_status", "changed_by", "note"))[-2:] == [
        ("shipped", staff_user.pk, ""), ("delivered", staff_user.pk, "Signed by the customer")]


def test_a_tracking_event_from_the_order_page_moves_the_order_with_it(admin_web, user, staff_user, product,
                                                                    payments_on):
    order = paid_order(user, product)
    order_ship(order_id=order.pk, by=staff_user)

    response = fulfil(admin_web, order, "track", {"status": "DELIVERED", "message": "At the door",
                                                     "location": "London"})

    assert back_on_the_order_page(response, order)
    assert messages_of(response) == [("success", f"Tracking event 'Delivered' added to {order.order_key}.")]
    order.refresh_from_db()
    assert (order.status, order.shipment.status) == ("delivered", "DELIVERED")
    assert order.shipment.delivered_at is not None


@pytest.mark.parametrize(("action", "data", "message"), [
    ("deliver", {}, "Cannot change an order from processing to delivered."),
    ("track", {"status": "DELIVERED"},
     "'Delivered' means the order is delivered, and an order cannot go from processing to delivered."),
])
def test_buttons_refuse_what_the_service_refuses_with_its_message(admin_web, user, product, payments_on,
                                                                  action, data, message):
    order = paid_order(user, product)
    before = snapshot(order)

    response = fulfil(admin_web, order, action, data)

    assert response.status_code == 400
    assert messages_of(response) == [("error", message)]
    assert escape(message) in response.content.decode()  # shown above the form, which stays filled in
    assert snapshot(order) == before


def test_a_cancelled_order_cannot_be_shipped_or_delivered(admin_web, user, staff_user, product, payments_on):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)
    before = snapshot(order)

    shipped = fulfil(admin_web, order, "ship", {"carrier": "DHL"})
    tracked = fulfil(admin_web, order, "track", {"status": "DELIVERED"})

    assert messages_of(shipped) == [("error", "Cannot change an order from cancelled to shipped.")]
    assert messages_of(tracked) == [("error", "The order is cancelled: its shipment cannot move.")]
    assert snapshot(order) == before


def test_cancel_puts_the_stock_back_and_records_why(admin_web, user, staff_user, product, payments_on):
    order = cod_order(user, product)

    response = fulfil(admin_web, order, "cancel", {"note": "Customer phoned"})

    assert back_on_the_order_page(response, order)
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.cancel_reason, product.stock_quantity) == ("cancelled", "staff", 10)
    assert order.status_history.last().note == "Customer phoned"
    assert order.payments.get().status == "cancelled"


def test_refund_an_amount_then_the_rest(admin_web, user, product, payments_on):
    order = paid_order(user, product)
    payment = order.payments.get()

    part = fulfil(admin_web, order, "refund", {"payment": payment.pk, "amount": "10.00",
                                                  "reason": "requested_by_customer"})
    too_much = fulfil(admin_web, order, "refund", {"payment": payment.pk, "amount": "31.00"})
    rest = fulfil(admin_web, order, "refund", {"payment": payment.pk, "amount": ""})

    assert messages_of(part) == [("success", f"Refund recorded on payment #{payment.pk}: 10.00 USD refunded.")]
    assert messages_of(too_much) == [("error", "Refund amount 31.00 exceeds what is left to refund (30.00).")]
    assert messages_of(rest) == [("success", f"Refund recorded on payment #{payment.pk}: 40.00 USD refunded.")]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("40.00"))
    assert list(payment.refunds.order_by("id").values_list("amount", "status")) == [
        (Decimal("10.00"), "succeeded"), (Decimal("30.00"), "succeeded")]
    assert order.payment_status == "refunded"
    again = admin_web.get(f"/admin/orders/order/{order.pk}/fulfil/refund/")
    assert 'name="payment"' in again.content.decode() and f'value="{payment.pk}"' not in again.content.decode()


def test_collect_cash_on_delivery(admin_web, user, product, payments_on):
    order = cod_order(user, product)
    payment = order.payments.get()

    page = admin_web.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    response = fulfil(admin_web, order, "collect", {"payment": payment.pk})
    again = fulfil(admin_web, order, "collect", {"payment": payment.pk})

    assert "Mark cash collected" in page
    assert messages_of(response) == [("success", f"Cash collected: payment #{payment.pk} (40.00 USD) succeeded.")]
    order.refresh_from_db()
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")
    assert again.status_code == 400  # the service refuses, in a sentence
    assert messages_of(again) == [
        ("error", "This cash-on-delivery payment has already succeeded: the cash was collected before.")]


def test_collect_on_an_order_not_paid_by_cash_shows_the_services_refusal_not_an_empty_form(admin_web, user,
                                                                                         product, payments_on):
    order = paid_order(user, product)
    before = snapshot(order)

    page = admin_web.get(f"/admin/orders/order/{order.pk}/fulfil/collect/")
    posted = fulfil(admin_web, order, "collect")

    refusal = "Only cash-on-delivery payments are collected by hand; this order has none."
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="fulfil-refusal">{escape(refusal)}<' in html
    assert "<select" not in html and "This field is required" not in html
    assert posted.status_code == 400 and messages_of(posted) == [("error", refusal)]
    assert snapshot(order) == before


def test_list_actions_run_each_order_through_the_service_and_report_refusals(admin_web, user, staff_user,
                                                                           product, payments_on):
    shipped = paid_order(user, product)
    order_ship(order_id=shipped.pk, by=staff_user)
    processing = paid_order(user, product)

    response = admin_web.post("/admin/orders/order/", {
        "action": "deliver_selected", "_selected_action": [shipped.pk, processing.pk]})

    assert response.status_code == 302
    assert messages_of(response) == [
        ("success", "1 order(s) delivered."),
        ("error", f"{processing.order_key}: Cannot change an order from processing to delivered."),
    ]
    shipped.refresh_from_db()
    processing.refresh_from_db()
    assert (shipped.status, processing.status) == ("delivered", "processing")


def test_bulk_cancel_shows_what_will_be_refunded_and_moves_nothing_until_confirmed(
    admin_web, user, staff_user, product, payments_on, django_capture_on_commit_callbacks
):
    paid = paid_order(user, product)
    unpaid = cod_order(user, product)
    shipped = paid_order(user, product)
    order_ship(order_id=shipped.pk, by=staff_user)
    before = [snapshot(order) for order in (paid, unpaid, shipped)]
    product.refresh_from_db()
    stock = product.stock_quantity
    selected = {"action": "cancel_selected", "_selected_action": [paid.pk, unpaid.pk, shipped.pk]}

    page = admin_web.post("/admin/orders/order/", selected)

    assert page.status_code == 200
    html = page.content.decode()
    rows = {row["order"].pk: row for row in page.context["rows"]}
    assert rows[paid.pk]["effects"] == ["1 unit(s) back in stock", "refund 40.00 USD in full"]
    assert rows[unpaid.pk]["effects"] == ["1 unit(s) back in stock", "1 open payment(s) closed"]
    assert rows[shipped.pk]["refused"] == "Order cannot be cancelled: it is already shipped."
    assert "refund 40.00 USD in full" in html and 'name="post" value="yes"' in html
    assert "Yes, cancel them and refund what is listed" in html
    assert [snapshot(order) for order in (paid, unpaid, shipped)] == before  # nothing moved yet
    product.refresh_from_db()
    assert product.stock_quantity == stock

    with django_capture_on_commit_callbacks(execute=True):  # the refund runs after commit
        done = admin_web.post("/admin/orders/order/", {**selected, "post": "yes"})

    assert done.status_code == 302
    assert messages_of(done) == [
        ("success", "2 order(s) cancelled."),
        ("error", f"{shipped.order_key}: Order cannot be cancelled: it is already shipped."),
    ]
    paid.refresh_from_db()
    assert (paid.status, paid.payment_status, paid.payments.get().amount_refunded) == (
        "cancelled", "refunded", Decimal("40.00"))


def test_bulk_collect_confirms_the_cash_first_and_says_why_an_order_is_refused(admin_web, user, product,
                                                                              payments_on):
    cod = cod_order(user, product)
    card = paid_order(user, product)
    selected = {"action": "collect_selected", "_selected_action": [cod.pk, card.pk]}

    page = admin_web.post("/admin/orders/order/", selected)

    assert page.status_code == 200
    rows = {row["order"].pk: row for row in page.context["rows"]}
    assert rows[cod.pk]["effects"] == ["40.00 USD recorded as collected; the order counts as paid"]
    assert rows[card.pk]["refused"] == "Only cash-on-delivery payments are collected by hand; this order has none."
    cod.refresh_from_db()
    assert cod.payment_status == "unpaid"

    done = admin_web.post("/admin/orders/order/", {**selected, "post": "yes"})

    assert messages_of(done) == [
        ("success", "1 order(s) marked paid (cash collected)."),
        ("error", f"{card.order_key}: Only cash-on-delivery payments are collected by hand; this order has none."),
    ]
    cod.refresh_from_db()
    assert (cod.payment_status, cod.is_fully_paid) == ("paid", True)


def test_fulfilment_needs_the_change_permission(client, user, product, payments_on):
    order = paid_order(user, product)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_order"))
    client.force_login(viewer)

    page = client.get(f"/admin/orders/order/{order.pk}/change/")
    refused = fulfil(client, order, "ship", {"carrier": "DHL"})

    assert page.status_code == 200 and "fulfil-ship" not in page.content.decode()
    assert refused.status_code == 403
    order.refresh_from_db()
    assert order.status == "processing"


# --- Records nobody edits ------------------------------------------------------------------------------------

def test_orders_and_money_records_cannot_be_added_changed_or_deleted(admin_web, user, staff_user, product,
                                                                     payments_on):
    order = paid_order(user, product)
    payment = order.payments.get()
    from shop.payments.services import payment_refund

    payment_refund(payment_id=payment.pk, user=staff_user, amount=Decimal("5.00"))  # partial: the shop's call
    refund = Refund.objects.get()
    event = WebhookEvent.objects.create(provider="sandbox", event_id="evt_1", event_type="payment.succeeded")
    before = snapshot(order)

    for url in ("/admin/orders/order/add/", "/admin/payments/payment/add/", "/admin/payments/webhookevent/add/",
                "/admin/orders/shipment/add/", f"/admin/orders/order/{order.pk}/delete/",
                f"/admin/payments/payment/{payment.pk}/delete/", f"/admin/payments/webhookevent/{event.pk}/delete/"):
        assert admin_web.get(url).status_code == 403, url
    posted = admin_web.post(f"/admin/orders/order/{order.pk}/change/", {"status": "delivered", "total": "1.00"})
    assert posted.status_code == 403
    posted = admin_web.post(f"/admin/payments/payment/{payment.pk}/change/", {"amount_refunded": "0.00"})
    assert posted.status_code == 403
    assert snapshot(order) == before
    refund.refresh_from_db()
    assert refund.amount == Decimal("5.00")
    order_page = admin_web.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'name="items-0-quantity"' not in order_page and 'name="status_history-0-note"' not in order_page
    assert "__prefix__" not in order_page  # no blank row to add: the empty form is not even rendered


# --- The shipment page: tracking details edited, status only through the service -----------------------------------

def _shipment_form(order, **changes):
    shipment = order.shipment
    data = {"status": shipment.status, "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url, "estimated_delivery_at_0": "", "estimated_delivery_at_1": "",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}
    return {**data, **changes}


def test_the_shipment_page_cannot_deliver_a_cancelled_unpaid_order(admin_web, user, staff_user, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)
    before = snapshot(order)

    response = admin_web.post(f"/admin/orders/shipment/{order.shipment.pk}/change/",
                                 _shipment_form(order, status="DELIVERED", carrier="DHL"))

    assert response.status_code == 302
    assert messages_of(response) == [("error", "The order is cancelled: its shipment gets no tracking details.")]
    assert snapshot(order) == before
    assert order.shipment.carrier == ""  # nothing of the refused save is kept


def test_the_shipment_page_gives_a_cancelled_order_no_tracking_details(admin_web, user, staff_user, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)

    response = admin_web.post(f"/admin/orders/shipment/{order.shipment.pk}/change/",
                              _shipment_form(order, carrier="DHL", tracking_number="JD1"))

    assert response.status_code == 302
    assert messages_of(response) == [("error", "The order is cancelled: its shipment gets no tracking details.")]
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number) == ("", "")
    assert admin_web.get(f"/api/v1/orders/{order.pk}/").status_code in (401, 403, 404)  # session is not API auth


def test_the_shipment_page_and_the_ship_button_refuse_an_unpaid_online_order(admin_web, user, product, payments_on):
    order, _, _ = order_place_and_pay(user=user, lines=[LineRequest(quantity=1, product_id=product.pk)],
                              payment_method="sandbox")  # the customer has not paid yet
    before = snapshot(order)
    refusal = (f"Order {order.order_key} is waiting for its online payment; it cannot be shipped or delivered "
               "before it is paid.")

    button = fulfil(admin_web, order, "ship", {"carrier": "DHL"})
    page = admin_web.post(f"/admin/orders/shipment/{order.shipment.pk}/change/",
                          _shipment_form(order, status="SHIPPED", carrier="DHL"))

    assert page.status_code == 302 and messages_of(page) == [("error", refusal)]
    assert button.status_code == 400 and messages_of(button) == [("error", refusal)]
    assert snapshot(order) == before
    assert order.shipment.carrier == ""
    order_page = admin_web.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'name="payment_method"' not in order_page  # switching it to cash on delivery would let it ship unpaid


def test_the_shipment_page_delivers_a_paid_order_through_the_service(admin_web, user, staff_user, product,
                                                                    payments_on):
    order = paid_order(user, product)
    order_ship(order_id=order.pk, by=staff_user)

    response = admin_web.post(f"/admin/orders/shipment/{order.shipment.pk}/change/",
                                 _shipment_form(order, status="DELIVERED", tracking_number="JD9"))

    assert response.status_code == 302
    order.refresh_from_db()
    shipment = Shipment.objects.get(order=order)
    assert (order.status, shipment.status, shipment.tracking_number) == ("delivered", "DELIVERED", "JD9")
    assert shipment.delivered_at is not None
    assert OrderStatusChange.objects.filter(order=order, to_status="delivered", changed_by=staff_user).exists()
    assert shipment.events.last().message == "Delivered"  # the status's label: customers read it


def test_a_payment_page_is_text_only_and_hides_the_client_secret(admin_web, user, product, payments_on):
    order = paid_order(user, product)
    payment = order.payments.get()
    Payment.objects.filter(pk=payment.pk).update(client_secret="pi_123_secret_456")

    response = admin_web.get(f"/admin/payments/payment/{payment.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<select" not in page and "<input type=\"text\"" not in page
    assert payment.provider_payment_id in page
    assert "pi_123_secret_456" not in page


def test_a_paid_orders_page_hides_the_deadline_explains_needs_refund_and_names_refunds(admin_web, user, product,
                                                                                      payments_on):
    paid = paid_order(user, product)
    unpaid = cod_order(user, product)
    payment = paid.payments.get()
    fulfil(admin_web, paid, "refund", {"payment": payment.pk, "amount": "10.00"})
    refund = Refund.objects.get(payment=payment)

    paid_page = admin_web.get(f"/admin/orders/order/{paid.pk}/change/").content.decode()
    unpaid_page = admin_web.get(f"/admin/orders/order/{unpaid.pk}/change/").content.decode()
    payment_page = admin_web.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()

    assert "field-payment_deadline" not in paid_page and "field-payment_deadline" in unpaid_page
    assert "the shop must give it back" in paid_page
    assert str(refund) == f"Refund #{refund.pk}: 10.00 USD, succeeded"
    assert "Refund object" not in payment_page and escape(str(refund)) in payment_page


def test_a_guest_order_is_listed_searched_and_shown_with_its_email(admin_web, payments_on):
    from rest_framework.test import APIClient

    from .guests import guest_cart, guest_checkout

    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (ProductFactory(stock_quantity=5), 1)), payment_method="cod")
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(pk=placed.json()["id"])

    listed = admin_web.get("/admin/orders/order/?q=grace%40example")
    page = admin_web.get(f"/admin/orders/order/{order.pk}/change/")

    assert listed.status_code == 200 and order.order_key in listed.content.decode()
    assert "grace@example.com (guest)" in listed.content.decode()
    assert page.status_code == 200 and order.order_key in page.content.decode()
