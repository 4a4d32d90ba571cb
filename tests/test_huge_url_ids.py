"""Every route with an integer id in its path answers an id no key column can hold (past 64 bits) as a JSON 4xx,
never a 500: the database (SQLite raises OverflowError, PostgreSQL an out-of-range error) must never see it.
A fresh-eyes tester found ``GET /payments/order/9223372036854775808/`` answering 500."""

import pytest
from django.urls import get_resolver
from django.urls.converters import IntConverter

pytestmark = pytest.mark.django_db

HUGE = (2**63, 10**23)


def _int_routes(resolver=None, prefix: str = "") -> list[str]:
    """Each URL pattern with at least one ``<int:...>`` converter, as a path template with ``{}`` for the ids."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if hasattr(entry, "url_patterns"):
            found += _int_routes(entry, prefix + route)
        elif any(isinstance(c, IntConverter) for c in getattr(entry.pattern, "converters", {}).values()):
            template = prefix + route
            for name, converter in entry.pattern.converters.items():
                template = template.replace(f"<int:{name}>", "{}") if isinstance(converter, IntConverter) else template
            found.append("/" + template.lstrip("^").rstrip("$"))
    return sorted(set(found))


def test_there_are_such_routes():
    routes = _int_routes()
    assert "/payments/order/{}/" in routes and "/orders/{}/" in routes and len(routes) >= 20


@pytest.mark.parametrize("huge", HUGE)
def test_every_int_route_answers_a_huge_id_without_a_500(staff_client, user_client, huge):
    for template in _int_routes():
        url = template.replace("{}", str(huge))
        for client in (staff_client, user_client):
            answer = client.get(url)
            assert answer.status_code < 500, (url, answer.status_code, answer.content[:200])
            if answer.status_code == 404:
                assert answer.json()["code"], url
