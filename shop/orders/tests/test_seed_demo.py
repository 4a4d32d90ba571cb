"""``manage.py seed_demo``: a demo shop that does not lie. It creates only what is missing (staff edits survive a
re-run of ``make run``), ``--reset`` restores the original demo, images are real files served by the app, and a
demo customer has orders in every state, made through the services."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from PIL import Image

from shop.catalog.demo import RETIRED_IMAGE_PREFIX
from shop.catalog.models import Category, Product, ProductImage, ProductVariant
from shop.catalog.tests.factories import ProductFactory
from shop.discounts.models import Promotion, Voucher, VoucherCode
from shop.orders.demo import DEMO_CUSTOMER_EMAIL, DEMO_CUSTOMER_PASSWORD
from shop.orders.models import Order, ShippingMethod
from shop.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return (Category.objects.count(), Product.objects.count(), ProductImage.objects.count(),
            ProductVariant.objects.count(), ShippingMethod.objects.count(), Order.objects.count(),
            Payment.objects.count(), Refund.objects.count())


def test_a_fresh_seed_builds_a_shop_with_every_state_to_show(api_client):
    output = seed()

    keys = {o.idempotency_key: o.order_key for o in Order.objects.all()}
    assert output.splitlines() == [
        "Demo data created: 5 categories, 50 products, 100 generated images, 37 variants, 3 shipping methods, "
        "1 demo customer, 6 demo orders, 1 voucher, 1 promotion.",
        f"Demo customer: {DEMO_CUSTOMER_EMAIL} / {DEMO_CUSTOMER_PASSWORD}, 6 demo orders as they stand now:",
        f"  {keys['demo-paid']}  processing, paid (sandbox)",
        f"  {keys['demo-shipped']}  shipped, paid (sandbox)",
        f"  {keys['demo-delivered']}  delivered, paid (sandbox)",
        f"  {keys['demo-cancelled']}  cancelled, unpaid (sandbox)",
        f"  {keys['demo-refunded']}  cancelled, refunded (sandbox)",
        f"  {keys['demo-cod']}  processing, unpaid (cod)",
        "Demo voucher: WELCOME10, Welcome: 10 % off your order.",
        "Demo promotion: Outdoor sale, 15 % off Sports & Outdoors.",
    ]
    shirt = api_client.get("/products/organic-cotton-t-shirt/").json()
    assert len(shirt["variants"]) == 8 and {"size", "colour"} == set(shirt["variants"][0]["options"])
    assert shirt["stock_quantity"] == sum(v["stock_quantity"] for v in shirt["variants"]) > 0
    assert api_client.get("/products/sleeping-bag/").json()["variants"] == []
    assert [m["name"] for m in api_client.get("/orders/shipping-methods/").json()] == [
        "Pick up in store", "Standard (3-5 days)", "Express (next day)"]

    login = api_client.post("/auth/login/", {"email": DEMO_CUSTOMER_EMAIL, "password": DEMO_CUSTOMER_PASSWORD},
                            format="json")
    assert login.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['tokens']['access']}")
    orders = {o["id"]: o for o in api_client.get("/orders/", {"page_size": 20}).json()["results"]}
    states = sorted((o["status"], o["payment_status"], o["payment_method"]) for o in orders.values())
    assert states == [
        ("cancelled", "refunded", "sandbox"),  # paid, then refunded in full
        ("cancelled", "unpaid", "sandbox"),  # cancelled before payment
        ("delivered", "paid", "sandbox"),
        ("processing", "paid", "sandbox"),
        ("processing", "unpaid", "cod"),  # awaiting cash on delivery
        ("shipped", "paid", "sandbox"),
    ]
    shipped = next(o for o in orders.values() if o["status"] == "shipped")
    assert shipped["shipment"]["carrier"] == "DHL Express" and shipped["shipment"]["tracking_number"]
    assert [e["status"] for e in shipped["shipment"]["events"]] == ["ORDER_PLACED", "SHIPPED", "IN_TRANSIT"]
    delivered = next(o for o in orders.values() if o["status"] == "delivered")
    assert delivered["shipment"]["delivered_at"] is not None
    assert Refund.objects.get().amount == Payment.objects.get(amount_refunded__gt=0).amount
    assert api_client.get("/auth/addresses/").json()["count"] == 1


def test_images_are_real_pictures_served_by_the_app(api_client, client):
    seed()

    product = api_client.get("/products/espresso-machine/").json()
    urls = [image["image_url"] for image in product["images"]]
    served = client.get(urls[0])

    assert [image["is_primary"] for image in product["images"]] == [True, False]
    # Absolute, so a front end on another origin can show them: the API's own origin in front of MEDIA_URL.
    assert all(url.startswith("http://testserver/media/products/") and url.endswith(".jpg") for url in urls)
    assert not ProductImage.objects.exclude(image_url="").exists()  # no link to a domain that serves nothing
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert (picture.format, picture.size) == ("JPEG", (600, 600))


def test_a_rerun_keeps_staff_edits_and_sold_stock(staff_client):
    seed()
    before = counts()
    response = staff_client.patch("/products/wireless-headphones/", {
        "price": "79.00", "description": "Edited by staff.", "stock_quantity": 3}, format="json")
    assert response.status_code == 200
    keyboard_stock = Product.objects.get(slug="mechanical-keyboard").stock_quantity  # one sold by a demo order

    output = seed()

    assert output.splitlines()[0] == ("Demo data: all present, nothing changed (`manage.py seed_demo --reset` "
                                      "restores the original demo catalog).")
    assert counts() == before
    headphones = Product.objects.get(slug="wireless-headphones")
    assert (headphones.price, headphones.description, headphones.stock_quantity) == (
        Decimal("79.00"), "Edited by staff.", 3)
    assert Product.objects.get(slug="mechanical-keyboard").stock_quantity == keyboard_stock == 34


def test_reset_restores_the_original_demo_and_keeps_orders_and_staff_products(staff_client):
    seed()
    headphones = Product.objects.get(slug="wireless-headphones")
    Product.objects.filter(pk=headphones.pk).update(price=Decimal("1.00"), description="Oops", stock_quantity=0,
                                                    is_active=False)
    ProductImage.objects.filter(product=headphones).delete()
    ProductImage.objects.create(product=headphones, image_url="https://cdn.example.com/staff.jpg", is_primary=True)
    ShippingMethod.objects.filter(name="Express (next day)").update(price=Decimal("99.00"))
    staff_product = ProductFactory(name="Staff Special", price=Decimal("5.00"), stock_quantity=2)
    orders = list(Order.objects.order_by("pk").values_list("pk", "status", "total"))

    output = seed("--reset")

    assert output.splitlines()[0] == ("Demo restored: 50 demo products back to their original price, description, "
                                      "stock and images. Created 100 generated images.")
    headphones.refresh_from_db()
    assert (headphones.price, headphones.description, headphones.stock_quantity, headphones.is_active) == (
        Decimal("99.99"), "Over-ear Bluetooth headphones with active noise cancelling and 30-hour battery.", 50, True)
    assert list(headphones.images.values_list("image_url", "is_primary")) == [("", True), ("", False)]
    assert Product.objects.get(slug="mechanical-keyboard").stock_quantity == 35  # the original, sold unit back
    assert ShippingMethod.objects.get(name="Express (next day)").price == Decimal("12.90")
    staff_product.refresh_from_db()
    assert (staff_product.price, staff_product.stock_quantity) == (Decimal("5.00"), 2)
    assert list(Order.objects.order_by("pk").values_list("pk", "status", "total")) == orders
    assert ProductImage.objects.count() == 100


def test_placeholder_images_of_an_older_demo_are_replaced():
    seed()
    product = Product.objects.get(slug="dune")
    ProductImage.objects.filter(product=product).delete()
    ProductImage.objects.create(product=product, is_primary=True, image_url=f"{RETIRED_IMAGE_PREFIX}dune/main.jpg")

    output = seed()

    assert output.startswith("Demo data created: 2 generated images.")
    assert not ProductImage.objects.filter(image_url__startswith=RETIRED_IMAGE_PREFIX).exists()
    assert product.images.count() == 2


def test_orders_whose_payment_method_is_off_are_skipped_and_said(settings):
    settings.PAYMENT_METHODS = ["cod"]

    output = seed()

    assert Order.objects.count() == 1
    assert "Demo order skipped (paid, waiting to ship: the sandbox payment method is not enabled)." in output
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    again = seed()  # the missing ones come once enabled
    assert again.startswith("Demo data created: 5 demo orders.") and Order.objects.count() == 6


def test_a_rerun_leaves_what_staff_deleted_deleted_and_says_so(staff_client):
    seed()
    assert staff_client.delete("/products/jump-rope/").status_code == 204
    shirt_variant = ProductVariant.objects.get(sku="ORGANIC-COTTON-T-SHIRT-S-WHITE")
    assert staff_client.delete(f"/products/variants/{shirt_variant.pk}/").status_code == 204
    books = Category.objects.get(slug="books")
    Product.objects.filter(category=books).update(is_deleted=True)
    books.delete()
    ShippingMethod.objects.filter(name="Express (next day)").delete()
    ProductImage.objects.filter(product__slug="espresso-machine").delete()
    paid = Order.objects.get(idempotency_key="demo-paid")
    assert staff_client.post(f"/orders/admin/{paid.pk}/status/", {"status": "shipped"},
                             format="json").status_code == 200
    before = counts()

    output = seed()

    assert counts() == before
    assert not Product.objects.filter(slug="jump-rope", is_deleted=False).exists()
    assert not ProductVariant.objects.filter(sku=shirt_variant.sku, is_deleted=False).exists()
    assert not Category.objects.filter(slug="books").exists()
    assert not ShippingMethod.objects.filter(name="Express (next day)").exists()
    assert Product.objects.get(slug="espresso-machine").images.count() == 0
    lines = output.splitlines()
    assert lines[0] == ("Demo data: all present, nothing changed (`manage.py seed_demo --reset` restores the "
                        "original demo catalog).")
    assert lines[1] == "Left deleted: 13 demo item(s) staff deleted (`manage.py seed_demo --reset` brings them back)."
    assert f"  {paid.order_key}  shipped, paid (sandbox)" in lines  # where it stands now, not where it began

    restored = seed("--reset")

    assert restored.startswith("Demo restored: 50 demo products")
    rope = Product.objects.get(slug="jump-rope", is_deleted=False)
    assert (rope.is_active, rope.stock_quantity, Product.objects.filter(slug="jump-rope").count()) == (True, 110, 1)
    assert ProductVariant.objects.get(sku=shirt_variant.sku, is_deleted=False).pk == shirt_variant.pk
    assert Product.objects.get(slug="dune").category.slug == "books"
    assert ShippingMethod.objects.filter(name="Express (next day)", is_active=True).exists()


def test_the_demo_has_low_and_out_of_stock_products_for_the_filters(admin_web):
    seed()

    low = admin_web.get("/admin/catalog/product/", {"stock": "low"})
    out = admin_web.get("/admin/catalog/product/", {"stock": "out"})

    assert [p.slug for p in low.context["cl"].result_list] == ["adjustable-dumbbells"]
    assert [p.slug for p in out.context["cl"].result_list] == ["camping-tent-2p"]


def test_the_demo_has_a_voucher_to_try_and_a_running_sale_that_no_demo_order_is_priced_with(api_client):
    seed()
    totals = dict(Order.objects.values_list("idempotency_key", "total"))

    sale = api_client.get("/products/yoga-mat/").json()
    assert (sale["price"], sale["sale_price"]) == ("29.00", "24.65")  # 15 % off, rounded half up per unit
    assert api_client.get("/products/dune/").json()["sale_price"] is None
    assert not Order.objects.filter(discount__gt=0).exists()  # the sale started after the demo orders
    login = api_client.post("/auth/login/", {"email": DEMO_CUSTOMER_EMAIL, "password": DEMO_CUSTOMER_PASSWORD},
                            format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['tokens']['access']}")
    api_client.post("/cart/items/", {"product_id": Product.objects.get(slug="dune").pk, "quantity": 2},
                    format="json")
    applied = api_client.post("/cart/voucher/", {"code": "welcome10"}, format="json")
    assert applied.status_code == 200, applied.json()
    assert (applied.json()["discount"], applied.json()["cart_total"]) == ("3.00", "26.98")  # 10 % of 29.98
    # The demo customer checks out with their saved address and standard shipping (free only from 50.00).
    address = api_client.get("/auth/addresses/").json()["results"][0]["id"]
    method = next(method for method in api_client.get("/orders/shipping-methods/").json()
                  if method["name"] == "Standard (3-5 days)")
    assert method["price"] == "4.99"
    placed = api_client.post("/orders/checkout/", {"payment_method": "cod", "address": address,
                                                   "shipping_method": method["id"]}, format="json")
    assert (placed.status_code, placed.json()["total"]) == (201, "31.97"), placed.json()  # 26.98 + 4.99 shipping
    api_client.post("/cart/items/", {"product_id": Product.objects.get(slug="dune").pk, "quantity": 1},
                    format="json")
    once = api_client.post("/cart/voucher/", {"code": "WELCOME10"}, format="json")
    assert (once.status_code, once.json()["code"]) == (400, "customer_limit_reached")  # once per customer

    assert seed().splitlines()[0].startswith("Demo data: all present")
    demo_totals = Order.objects.filter(idempotency_key__startswith="demo-").values_list("idempotency_key", "total")
    assert dict(demo_totals) == totals  # what they were before the sale and the voucher existed


def test_a_rerun_never_changes_the_demo_voucher_or_sale_and_leaves_deleted_ones_deleted(staff_client):
    seed()
    voucher = Voucher.objects.get(codes__code="WELCOME10")
    edited = staff_client.patch(f"/discounts/vouchers/{voucher.pk}/", {"value": "25", "is_active": False},
                                format="json")
    assert edited.status_code == 200, edited.json()
    Promotion.objects.filter(name="Outdoor sale").update(value=Decimal("40"))

    assert seed().splitlines()[0].startswith("Demo data: all present")
    voucher.refresh_from_db()
    assert (voucher.value, voucher.is_active, Voucher.objects.count()) == (Decimal("25.00"), False, 1)
    assert Promotion.objects.get().value == Decimal("40.00")

    voucher.delete()
    Promotion.objects.all().delete()
    output = seed()

    assert not VoucherCode.objects.exists() and not Promotion.objects.exists()
    assert "Left deleted: 2 demo item(s) staff deleted" in output
    assert "Demo voucher" not in output and "Demo promotion" not in output

    restored = seed("--reset")

    assert "1 voucher, 1 promotion" in restored.splitlines()[0]
    assert VoucherCode.objects.get().code == "WELCOME10" and Promotion.objects.get().value == Decimal("15.00")


def test_a_code_staff_already_use_is_not_taken_over(staff_client):
    """A shop that made its own WELCOME10 (any case) before running the demo keeps it as it is."""
    created = staff_client.post("/discounts/vouchers/", {"name": "Ours", "kind": "fixed", "value": "5.00",
                                                         "codes": ["welcome10"]}, format="json")
    assert created.status_code == 201, created.json()

    output = seed()

    assert list(Voucher.objects.values_list("name", "value")) == [("Ours", Decimal("5.00"))]
    assert "Demo voucher: welcome10, Ours." in output
