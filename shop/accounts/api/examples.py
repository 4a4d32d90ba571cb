"""OpenAPI examples for register, log in and e-mail verification: real answers, tidied; tests/test_docs_schema.py
keeps the shape of register's and log in's true, tests of e-mail verification its messages."""

from drf_spectacular.utils import OpenApiExample

USER = {
    "id": 1,
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "is_active": True,
    "is_staff": False,
    "is_email_verified": False,
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
# X-Cart-Token with 800 units of a product the account's cart already held 800 of: 1600 asked for, capped at the
# 1000-unit line limit (shop/cart/tests/test_cart_merge.py checks this shape against a real answer).
CART_MERGED = {
    "strategy": "merge", "cart_found": True, "lines_merged": 1,
    "adjustments": [{"kind": "capped", "product_id": 7, "variant_id": None, "name": "Canvas tote",
                     "requested_quantity": 1600, "quantity": 1000, "old_price": None, "new_price": None}],
}
LOGIN_EXAMPLES = [
    OpenApiExample("Log in", request_only=True, value={"email": "ada@example.com", "password": PASSWORD}),
    OpenApiExample("Logged in", response_only=True, status_codes=["200"], value={"user": USER, "tokens": TOKENS}),
]
TOKEN_OBTAIN_EXAMPLES = [
    OpenApiExample("Log in", request_only=True, value={"email": "ada@example.com", "password": PASSWORD}),
    OpenApiExample("Logged in", response_only=True, status_codes=["200"], value=TOKENS),
    OpenApiExample("Logged in, guest cart merged", response_only=True, status_codes=["200"],
                   value={**TOKENS, "cart_merge": CART_MERGED}),
]

VERIFY_REQUEST_EXAMPLES = [
    OpenApiExample("Verification e-mail sent", response_only=True, status_codes=["202"],
                   value={"detail": "A verification e-mail with a link and a code is on its way to your address."}),
    OpenApiExample("Already verified", response_only=True, status_codes=["200"],
                   value={"detail": "Your e-mail address is already verified."}),
]
VERIFY_CONFIRM_EXAMPLES = [
    OpenApiExample("With the link's token", request_only=True,
                   value={"token": "MTpmM2E5YzJkMWI0ZTU2Nzg5MGFiY2RlZjAxMjM0NTY:1tGfXk:Yp0c6Zk1V0xS9Qm2Q4bWx0R1dG8"}),
    OpenApiExample("With the code (logged in)", request_only=True, value={"code": "042917"}),
    OpenApiExample("Verified", response_only=True, status_codes=["200"],
                   value={"detail": "Your e-mail address is verified."}),
    OpenApiExample("Wrong code", response_only=True, status_codes=["400"],
                   value={"detail": "The code is not right; 4 tries left.", "code": "verification_invalid",
                          "attempts_left": 4}),
]
