import json
import logging
import sys

from shop.core.logging import JsonFormatter, RequestIdFilter, request_id_var


def record(message="hello", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("shop.test", logging.WARNING, __file__, 1, message, (), exc_info)


def test_filter_tags_records_with_the_current_request_id():
    outside = record()
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"

    token = request_id_var.set("abc123")
    try:
        inside = record()
        assert RequestIdFilter().filter(inside) is True
    finally:
        request_id_var.reset(token)
    assert inside.request_id == "abc123"


def test_json_formatter_writes_one_object_per_line():
    try:
        raise ValueError("kaput")
    except ValueError:
        failing = record("it broke", sys.exc_info())
    failing.request_id = "r-1"

    line = JsonFormatter().format(failing)

    assert "\n" not in line  # the traceback is escaped inside the JSON string
    payload = json.loads(line)
    assert payload["message"] == "it broke" and payload["level"] == "WARNING" and payload["logger"] == "shop.test"
    assert payload["request_id"] == "r-1" and "ValueError: kaput" in payload["exc_info"]
