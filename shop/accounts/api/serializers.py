from rest_framework import serializers

from shop.accounts.models import Address, User
from shop.core.countries import CountryField, country_name
from shop.core.serializers import MoneyField, RefuseUnknownFieldsMixin


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "is_active", "is_staff", "is_email_verified",
                  "date_joined"]
        read_only_fields = fields
        extra_kwargs = {"is_email_verified": {
            "help_text": "Whether `email` was confirmed by a link or code sent to it (POST /auth/verify-email/...); "
                         "a new e-mail starts unverified."}}


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


# What a login's cart merge may report per guest line (the cart app's ``shop.cart.guest.Adjustment``; accounts sits
# below the cart, so the names are repeated here and a test keeps the two equal).
CART_MERGE_ADJUSTMENTS = ("capped", "dropped_inactive", "dropped_out_of_stock", "dropped_order_too_large",
                          "dropped_too_many_lines", "repriced", "discarded")
CART_MERGE_STRATEGIES = ("merge", "replace", "keep")


class CartMergeAdjustmentOutput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CART_MERGE_ADJUSTMENTS,
        help_text="capped: quantity lowered to the stock, the line limit or what one order can still hold (your "
                  "cart stays below what checkout accepts; a line of yours is never lowered for it); "
                  "dropped_inactive / dropped_out_of_stock: not taken over; dropped_order_too_large: not one unit "
                  "fits in one order beside your cart; dropped_too_many_lines: a line new to your cart past the 100 "
                  "lines one order holds (yours are never removed for it); repriced: today's price applies "
                  "(old_price -> new_price); discarded: strategy keep left the guest line behind.")
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    requested_quantity = serializers.IntegerField(
        help_text="What the merge asked this line to hold: the guest line's quantity plus what your cart already "
                  "held of the same product/variant (merge); the guest line's quantity alone (replace, keep).")
    quantity = serializers.IntegerField(help_text="What your cart holds of it now (0: dropped or discarded).")
    old_price = MoneyField(allow_null=True)
    new_price = MoneyField(allow_null=True)


class CartMergeOutput(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=CART_MERGE_STRATEGIES)
    cart_found = serializers.BooleanField(help_text="False: the X-Cart-Token opened no live guest cart; nothing "
                                                    "changed.")
    lines_merged = serializers.IntegerField()
    adjustments = CartMergeAdjustmentOutput(many=True)


class AuthOutput(serializers.Serializer):
    user = UserOutput()
    tokens = TokenPairOutput(required=False, help_text="Omitted when ?use_cookies=true (tokens go in cookies).")
    cart_merge = CartMergeOutput(required=False, help_text="Only when the request sent X-Cart-Token: what became "
                                                           "of that guest cart (its token is dead afterwards).")


class TokenObtainOutput(TokenPairOutput):
    cart_merge = CartMergeOutput(required=False, help_text="Only when the request sent X-Cart-Token: what became "
                                                           "of that guest cart (as on `POST /auth/login/`).")


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


class PasswordChangedOutput(serializers.Serializer):
    detail = serializers.CharField()
    tokens = TokenPairOutput(
        required=False,
        help_text="A fresh session for this client (every earlier token, this one's included, has ended). "
                  "Omitted when the request was cookie-authenticated or sent ?use_cookies=true: the new tokens "
                  "are set as cookies instead.")


class CsrfTokenOutput(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="Send it back in the X-CSRFToken header on cookie-authenticated "
                                                 "writes.")


class MessageOutput(serializers.Serializer):
    message = serializers.CharField()


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    password2 = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate(self, attrs):
        if attrs["password"] != attrs["password2"]:
            raise serializers.ValidationError({"password2": ["Passwords do not match."]})
        return attrs


class LoginInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(required=False, help_text="Read from the refresh cookie when omitted.")


class LogoutOutput(serializers.Serializer):
    detail = serializers.CharField()
    security_info = serializers.DictField(child=serializers.CharField())


class ChangePasswordInput(serializers.Serializer):
    old_password = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)
    new_password2 = serializers.CharField(max_length=128)

    def validate(self, attrs):
        if attrs["new_password"] != attrs["new_password2"]:
            raise serializers.ValidationError({"new_password2": ["Passwords do not match."]})
        return attrs


class ProfileInput(serializers.Serializer):
    """Only these fields can change through the profile; anything else in the body is ignored."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False,
                                   help_text="A new login e-mail needs `current_password`; the old address is told.")
    current_password = serializers.CharField(max_length=128, required=False, allow_blank=True, write_only=True,
                                             style={"input_type": "password"},
                                             help_text="Required when `email` changes.")


class StaffUserCreateInput(RefuseUnknownFieldsMixin, RegisterInput):
    """A field this does not take (``is_superuser``) is a 400 naming it, never dropped, as on every staff write."""

    # The other privilege fields, refused like any unknown one, with where they are given.
    unknown_field_hints = dict.fromkeys(
        ("is_superuser", "groups", "user_permissions"),
        "Not set through the API: a superuser gives it in the admin (/admin/accounts/user/).")

    is_staff = serializers.BooleanField(
        default=False, help_text="Make the account staff. Only a superuser may send `true` (anyone else: 403 "
                                 "`permission_denied` naming `is_staff`, nothing created).")


class PasswordResetInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)
    new_password2 = serializers.CharField(max_length=128)

    def validate(self, attrs):
        if attrs["new_password"] != attrs["new_password2"]:
            raise serializers.ValidationError({"new_password2": ["Passwords do not match."]})
        return attrs


class EmailVerificationConfirmInput(serializers.Serializer):
    """Exactly one of ``token`` (from the link; no login needed) or ``code`` (from the e-mail; logged in)."""

    token = serializers.CharField(max_length=256, required=False,
                                  help_text="The `token` of the e-mailed link. Needs no authentication.")
    code = serializers.RegexField(r"^[0-9]{6}$", required=False,
                                  error_messages={"invalid": "Enter the 6-digit code from the e-mail."},
                                  help_text="The 6-digit code from the e-mail. Needs the account's session.")

    def validate(self, attrs):
        if ("token" in attrs) == ("code" in attrs):
            message = "Send either `token` (from the link) or `code` (from the e-mail), not both."
            raise serializers.ValidationError({"token": [message], "code": [message]})
        return attrs


class AddressSerializer(serializers.ModelSerializer):
    country = CountryField()
    country_name = serializers.SerializerMethodField(help_text="English name of `country`.")

    class Meta:
        model = Address
        fields = ["id", "full_name", "phone", "email", "address_line_1", "address_line_2", "city", "state",
                  "postal_code", "country", "country_name", "is_default", "created_at", "updated_at"]
        read_only_fields = ["id", "country_name", "created_at", "updated_at"]

    def get_country_name(self, address: Address) -> str:
        return country_name(address.country)
