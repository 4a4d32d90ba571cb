"""The admin runs the API's services: the secret is shown once, deliveries are read-only and can be redelivered."""

import pytest

from shop.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_creating_an_endpoint_shows_its_secret_once_and_refuses_private_urls(admin_web):
    refused = admin_web.post("/admin/webhooks/webhookendpoint/add/",
                             {"url": "http://10.1.2.3/h", "events": ["order.created"], "is_active": "on"})
    created = admin_web.post("/admin/webhooks/webhookendpoint/add/",
                             {"url": "http://127.0.0.1:9/h", "events": ["order.created", "refund.failed"],
                              "is_active": "on", "description": "ERP"}, follow=True)

    assert refused.status_code == 200 and b"private address" in refused.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["order.created", "refund.failed"]
    assert endpoint.secret.encode() in created.content  # the message, once
    change_page = admin_web.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret.encode() not in change_page.content


def test_deliveries_are_read_only_with_a_redeliver_action(admin_web):
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/h", events=["*"], secret="whsec_AAAA")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, message_id="evt_9", event_type="order.created",
                                              body="{}", status="failed")

    page = admin_web.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    edit = admin_web.post(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/", {"status": "succeeded"})
    action = admin_web.post("/admin/webhooks/webhookdelivery/", {"action": "redeliver",
                                                                 "_selected_action": [delivery.pk]}, follow=True)

    assert page.status_code == 200 and b"evt_9" in page.content
    assert edit.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert action.status_code == 200 and b"queued again" in action.content
    assert WebhookDelivery.objects.filter(redelivery_of=delivery, message_id="evt_9").exists()
