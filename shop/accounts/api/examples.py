"""OpenAPI examples for register and log in: real answers, tidied; tests/test_docs_schema.py keeps their shape true."""

from drf_spectacular.utils import OpenApiExample

USER = {
    "id": 1,
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "is_active": True,
    "is_staff": False,
    "date_joined": "2026-11-30T10:15:00Z",
}
TOKENS = {
    "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.access-signature",
    "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.refresh-signature",
}
PASSWORD = "Sturdy-Passw0rd!"

REGISTER_EXAMPLES = [
    OpenApiExample(
        "Register",
        request_only=True,
        value={
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    ),
    OpenApiExample(
        "Registered and logged in", response_only=True, status_codes=["201"], value={"user": USER, "tokens": TOKENS}
    ),
]
LOGIN_EXAMPLES = [
    OpenApiExample("Log in", request_only=True, value={"email": "ada@example.com", "password": PASSWORD}),
    OpenApiExample("Logged in", response_only=True, status_codes=["200"], value={"user": USER, "tokens": TOKENS}),
]
