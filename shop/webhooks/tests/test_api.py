"""The staff API for endpoints, deliveries and the event feed: refusals, the secret shown once, SSRF at creation,
and the OpenAPI examples checked against real answers."""

import pytest
import yaml
from rest_framework.test import APIClient

from shop.catalog.services import product_create, product_update
from shop.catalog.tests.factories import CategoryFactory
from shop.events.api.examples import EVENT
from shop.events.models import Event
from shop.webhooks.api import examples

pytestmark = pytest.mark.django_db


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return None


@pytest.mark.parametrize("url", [
    "http://10.0.0.7/hook", "http://192.168.1.1/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/", "http://100.64.0.1/", "http://0.0.0.0/", "ftp://example.org/",
    "http://user:pw@127.0.0.1/",
])
def test_creation_refuses_private_link_local_and_metadata_addresses(staff_client, url):
    response = staff_client.post("/webhooks/", {"url": url, "events": ["order.created"]}, format="json")

    assert response.status_code == 400, response.content
    assert "url" in response.json()["errors"]


def test_loopback_is_refused_unless_the_setting_allows_it(staff_client, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    refused = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["*"]}, format="json")
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    allowed = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["*"]}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (400, "webhook_url_refused")
    assert allowed.status_code == 201


def test_the_secret_is_shown_once_and_rotation_answers_the_new_one(staff_client):
    created = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["order.created"],
                                               "description": "ERP"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == "..." + body["secret"][-4:]

    shown = staff_client.get(f"/webhooks/{body['id']}/").json()
    listed = staff_client.get("/webhooks/").json()["results"][0]
    assert "secret" not in shown and "secret" not in listed

    rotated = staff_client.post(f"/webhooks/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["rotation_overlap_until"] is not None


def test_bad_input_names_the_field(staff_client):
    unknown = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["order.eaten"]},
                                format="json")
    empty = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": []}, format="json")
    extra = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["*"], "secret": "x"},
                              format="json")
    missing = staff_client.patch("/webhooks/999/", {"is_active": False}, format="json")

    assert unknown.status_code == 400 and "events" in unknown.json()["errors"]
    assert empty.status_code == 400 and "events" in empty.json()["errors"]
    assert extra.status_code == 400
    assert missing.status_code == 404


def test_customers_and_anonymous_callers_are_refused(user_client, api_client):
    for client in (user_client, api_client):
        assert client.get("/webhooks/").status_code in (401, 403)
        assert client.get("/events/").status_code in (401, 403)
        assert client.get("/webhook-deliveries/").status_code in (401, 403)


def test_the_feed_lists_events_after_a_number_by_type(staff_client, django_assert_max_num_queries):
    product = product_create(name="Lamp", slug="lamp", price="5.00", category=CategoryFactory())
    product_update(product=product, data={"description": "bright"})
    first, second = Event.objects.order_by("id")

    with django_assert_max_num_queries(3):  # session user, count, page
        after = staff_client.get(f"/events/?after={first.pk}").json()
    by_type = staff_client.get("/events/?type=product.created").json()
    bad = staff_client.get("/events/?type=order.eaten")
    bad_after = staff_client.get("/events/?after=x")

    assert [item["id"] for item in after["results"]] == [second.public_id]
    assert after["results"][0]["sequence"] == 2 and after["results"][0]["data"] == {"fields": ["description"]}
    assert [item["type"] for item in by_type["results"]] == ["product.created"]
    assert bad.status_code == 400 and "type" in bad.json()["errors"]
    assert bad_after.status_code == 400 and "after" in bad_after.json()["errors"]
    assert set(after["results"][0]) == set(EVENT)  # data and object vary by type and resource


def test_the_examples_have_the_shape_of_real_answers(staff_client):
    created = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["*"]}, format="json").json()
    endpoint = staff_client.get(f"/webhooks/{created['id']}/").json()
    ping = staff_client.post(f"/webhooks/{created['id']}/ping/").json()  # nobody listens on port 9: a failure

    assert _shape(created) == _shape(examples.ENDPOINT_WITH_SECRET)
    assert _shape(endpoint) == _shape(examples.ENDPOINT)
    assert _shape(ping) == _shape(examples.DELIVERY)
    assert _shape(ping["attempt_log"][0]) == _shape(examples.DELIVERY["attempt_log"][0])
    assert ping["status"] == "failed" and ping["attempt_log"][0]["error"]


def test_every_new_operation_is_documented_with_an_example():
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    operations = [("/webhooks/", "get"), ("/webhooks/", "post"), ("/webhooks/{id}/", "get"),
                  ("/webhooks/{id}/", "patch"), ("/webhooks/{id}/rotate-secret/", "post"),
                  ("/webhooks/{id}/ping/", "post"), ("/webhook-deliveries/", "get"),
                  ("/webhook-deliveries/{id}/", "get"), ("/webhook-deliveries/{id}/redeliver/", "post"),
                  ("/events/", "get")]
    for path, method in operations:
        operation = schema["paths"][path][method]
        answers = [answer for code, answer in operation["responses"].items() if code.startswith("2")]
        assert operation["summary"] and operation["description"], (path, method)
        assert operation["tags"] == ["events and webhooks (staff)"]
        assert answers[0]["content"]["application/json"].get("examples"), (path, method)
