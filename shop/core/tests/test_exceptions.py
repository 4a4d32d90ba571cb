"""The exception handler on its own: what each kind of error looks like to a client."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import InvalidToken

from shop.core.exceptions import ApplicationError, NotFound, ServiceUnavailable, _summary, api_exception_handler


def handle(exc):
    return api_exception_handler(exc, {})


@pytest.mark.parametrize(
    ("errors", "summary"),
    [
        ({"email": ["Enter a valid email address."]}, "email: Enter a valid email address."),
        ({"non_field_errors": ["Passwords do not match."]}, "Passwords do not match."),
        ({"items": [{"quantity": ["Too many."]}]}, "items: quantity: Too many."),
        (["Just a list."], "Just a list."),
        ({}, "{}"),
    ],
)
def test_summary_names_the_first_field_to_fix(errors, summary):
    assert _summary(errors) == summary


def test_validation_error_keeps_every_field():
    response = handle(serializers.ValidationError({"a": ["bad"], "b": ["worse"]}))

    assert response.status_code == 400
    assert response.data == {"detail": "a: bad", "code": "invalid", "errors": {"a": ["bad"], "b": ["worse"]}}


def test_list_validation_error_is_filed_as_non_field():
    response = handle(serializers.ValidationError(["Whole thing is wrong."]))

    assert response.data["errors"] == {"non_field_errors": ["Whole thing is wrong."]}
    assert response.data["detail"] == "Whole thing is wrong."


def test_django_validation_error_with_a_plain_message():
    response = handle(DjangoValidationError("Nope."))

    assert response.status_code == 400 and response.data["detail"] == "Nope."


def test_a_django_error_about_no_one_field_is_filed_as_non_field_never_all():
    response = handle(DjangoValidationError({"__all__": ["The dates are the wrong way round."],
                                             "name": ["Too long."]}))

    assert response.data["errors"] == {"non_field_errors": ["The dates are the wrong way round."],
                                       "name": ["Too long."]}


def test_a_unique_together_error_is_filed_under_each_field_it_is_about():
    """As ``Model.validate_unique`` / ``UniqueConstraint.validate`` raise it (``unique_error_message``)."""
    error = DjangoValidationError("Rate with this Class and Country already exists.", code="unique_together",
                                  params={"unique_check": ("tax_class", "country")})

    response = handle(DjangoValidationError({"__all__": [error, DjangoValidationError("Other.")]}))

    message = "Rate with this Class and Country already exists."
    assert response.data["errors"] == {"tax_class": [message], "country": [message], "non_field_errors": ["Other."]}
    assert response.data["detail"] == f"tax_class: {message}"


def test_application_errors_and_subclasses():
    assert handle(NotFound("No such order.")).data == {"detail": "No such order.", "code": "not_found"}
    unavailable = handle(ServiceUnavailable("Gateway down."))
    assert unavailable.status_code == 503 and unavailable["Retry-After"] == "5"
    unauthorized = handle(ApplicationError("Who are you?", code="who", status_code=401))
    assert unauthorized["WWW-Authenticate"] == 'Bearer realm="api"'


def test_throttled_carries_retry_after_in_body_and_header():
    response = handle(exceptions.Throttled(wait=42))

    assert response.status_code == 429 and response["Retry-After"] == "42"
    assert response.data["retry_after"] == 42 and response.data["code"] == "throttled"


def test_simplejwt_errors_keep_their_code():
    response = handle(InvalidToken({"detail": "Given token not valid for any token type", "code": "token_not_valid",
                                    "messages": [{"token_class": "AccessToken"}]}))

    assert response.status_code == 401
    assert response.data == {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


def test_unknown_exceptions_are_left_for_the_500_handler():
    assert handle(RuntimeError("boom")) is None
