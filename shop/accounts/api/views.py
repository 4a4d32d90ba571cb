"""Thin account views: validate, call one service, serialize (JWT in the body or in HttpOnly cookies).

Why one module over 400 lines: it is one thin class per operation (register, login, token refresh and logout,
CSRF, password change and reset, profile, staff users, e-mail verification, the address book), and about a third of
it is each operation's OpenAPI declaration; the session views share the cookie and token-answer helpers at the top.
Split it by area (a ``views/`` package re-exporting the classes for urls.py) when a new area is added.
"""

from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.accounts import selectors, services
from shop.accounts.authentication import enforce_csrf
from shop.accounts.errors import AccountErrorCode
from shop.accounts.hooks import login_hooks_check, login_hooks_run
from shop.accounts.models import Address
from shop.accounts.throttling import throttles_for, user_throttles_for
from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError
from shop.core.parsers import JSONParser
from shop.core.views import NoStoreMixin

from .cookies import delete_auth_cookies, has_auth_cookies, set_auth_cookies, used_cookies, wants_cookies
from .examples import (
    LOGIN_EXAMPLES,
    REGISTER_EXAMPLES,
    TOKEN_OBTAIN_EXAMPLES,
    VERIFY_CONFIRM_EXAMPLES,
    VERIFY_REQUEST_EXAMPLES,
)
from .serializers import (
    AddressSerializer,
    AuthOutput,
    ChangePasswordInput,
    CsrfTokenOutput,
    DetailOutput,
    EmailVerificationConfirmInput,
    LoginInput,
    LogoutOutput,
    PasswordChangedOutput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    ProfileInput,
    RefreshInput,
    RegisterInput,
    StaffUserCreateInput,
    TokenObtainOutput,
    TokenPairOutput,
    UserOutput,
)

USE_COOKIES = OpenApiParameter(
    "use_cookies", bool, description="Deliver tokens as HttpOnly cookies instead of the body."
)
CART_TOKEN = OpenApiParameter(
    "X-Cart-Token", str, location=OpenApiParameter.HEADER, required=False,
    description="A guest cart's token (from `POST /cart/`): its lines are merged into your cart and the token "
                "dies; the answer's `cart_merge` lists what was adjusted.",
)
CART_MERGE = OpenApiParameter(
    "X-Cart-Merge", str, location=OpenApiParameter.HEADER, required=False, enum=["merge", "replace", "keep"],
    description="With X-Cart-Token: `merge` (default: quantities added, capped at the stock and the line limit; "
                "lines new to your cart past the 100 an order holds left out), "
                "`replace` (your cart becomes the guest cart) or `keep` (your cart stays; the guest lines are "
                "dropped). Anything else is a 400 `invalid_cart_merge` and nobody is logged in.",
)


# Refresh answers the new pair in the body, or (cookie mode) sets it as cookies and answers only a detail message.
TOKENS_OR_DETAIL = PolymorphicProxySerializer(
    component_name="TokenRefreshResult", serializers=[TokenPairOutput, DetailOutput], resource_type_field_name=None
)

# Endpoints that can set auth cookies read JSON only. A cross-site HTML form can POST urlencoded data without a
# CORS preflight; accepting it would let another site log a visitor into the attacker's account (login CSRF).
JSON_ONLY = (JSONParser,)


def _auth_response(request, user, status_code: int) -> Response:
    pair = services.tokens_for(user)
    body = {"user": UserOutput(user).data, **login_hooks_run(request, user)}
    if wants_cookies(request):
        response = Response(body, status=status_code)
        set_auth_cookies(request, response, pair)
        return response
    body["tokens"] = {"access": pair.access, "refresh": pair.refresh}
    return Response(body, status=status_code)


def _refresh_token_from(request) -> tuple[str, bool]:
    """The body's token, else the cookie's (then True); a cookie-borne token must pass the CSRF check first."""
    serializer = RefreshInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    token = serializer.validated_data.get("refresh")
    if token:
        return token, False
    token = request.COOKIES.get(settings.JWT_COOKIE_REFRESH)
    if not token:
        raise ApplicationError("No refresh token in the body or cookies.", code=AccountErrorCode.REFRESH_MISSING,
                               extra={"errors": {"refresh": ["This field is required."]}})
    enforce_csrf(request._request)
    return token, True


# Not the shared "nothing changed": the account is created before the guest cart is merged (a login hook).
REGISTER_UNAVAILABLE = OpenApiResponse(description=(
    "`busy` or `service_unavailable` (a row lock or the database failed). While merging the guest cart "
    "(`X-Cart-Token`): the account was created already (its verification e-mail is on its way) and the guest cart "
    "is as it was: log in, with the token to merge it. Before: nothing changed, retry."))


class RegisterApi(NoStoreMixin, APIView):
    authentication_classes = ()
    parser_classes = JSON_ONLY
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("register")

    @extend_schema(request=RegisterInput, responses={201: AuthOutput, 503: REGISTER_UNAVAILABLE},
                   parameters=[USE_COOKIES, CART_TOKEN, CART_MERGE], tags=["auth"], examples=REGISTER_EXAMPLES)
    def post(self, request):
        """Create an account and log in.

        Answers the new user and a JWT pair (`tokens.access`, `tokens.refresh`). With `?use_cookies=true` the
        tokens are set as HttpOnly cookies instead and `tokens` is left out. The password must pass the password
        rules (long enough, not common, not only digits, not like the name or e-mail) and `password2` must repeat
        it. Limited per client IP and per e-mail address. With `X-Cart-Token` the guest cart becomes the new
        account's cart (`cart_merge` in the answer).
        """
        serializer = RegisterInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        login_hooks_check(request)
        data = serializer.validated_data
        user = services.user_register(email=data["email"], password=data["password"],
                                      first_name=data["first_name"], last_name=data["last_name"])
        return _auth_response(request, user, status.HTTP_201_CREATED)


class LoginApi(NoStoreMixin, APIView):
    authentication_classes = ()
    parser_classes = JSON_ONLY
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("login")

    @extend_schema(request=LoginInput, responses={200: AuthOutput},
                   parameters=[USE_COOKIES, CART_TOKEN, CART_MERGE], tags=["auth"], examples=LOGIN_EXAMPLES)
    def post(self, request):
        """Log in with e-mail and password.

        Answers the user and a JWT pair: send `Authorization: Bearer <access>` with later requests and get a new
        access token from `POST /auth/token/refresh/` when it expires (5 minutes by default). With
        `?use_cookies=true` the tokens are set as HttpOnly cookies instead. Limited per client IP and per account;
        a 429 says when to retry. With `X-Cart-Token` the guest cart is merged into your cart (`X-Cart-Merge`
        picks how) and the answer's `cart_merge` lists every adjustment.
        """
        serializer = LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        login_hooks_check(request)
        user = services.user_login(**serializer.validated_data)
        return _auth_response(request, user, status.HTTP_200_OK)


class TokenObtainApi(NoStoreMixin, APIView):
    """``/api/v1/token/``: the same login as ``/auth/login/``, answered in the plain ``{access, refresh}`` shape."""

    authentication_classes = ()
    parser_classes = JSON_ONLY
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("login")

    @extend_schema(request=LoginInput, responses={200: TokenObtainOutput}, parameters=[CART_TOKEN, CART_MERGE],
                   tags=["auth"], examples=TOKEN_OBTAIN_EXAMPLES)
    def post(self, request):
        """Log in, answered as a bare token pair.

        The same login as `POST /auth/login/` (same limits, same login hooks), answered as `{access, refresh}`
        without the user, for clients written for that shape. Served under `/api/v1/` only. With `X-Cart-Token`
        the guest cart is merged exactly as `POST /auth/login/` merges it (`X-Cart-Merge` picks how; a bad one is a
        400 and nobody is logged in) and the answer adds `cart_merge`.
        """
        serializer = LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        login_hooks_check(request)
        user = services.user_login(**serializer.validated_data)
        pair = services.tokens_for(user)
        return Response({"access": pair.access, "refresh": pair.refresh, **login_hooks_run(request, user)})


class TokenRefreshApi(NoStoreMixin, APIView):
    authentication_classes = ()
    parser_classes = JSON_ONLY
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("token_refresh")

    @extend_schema(request=RefreshInput, responses={200: TOKENS_OR_DETAIL}, parameters=[USE_COOKIES], tags=["auth"])
    def post(self, request):
        """Get a new access token with the refresh token.

        Send `refresh` in the body, or nothing in cookie mode: the refresh cookie is read (send the `csrftoken`
        cookie's value in `X-CSRFToken`). The refresh token rotates: the answer carries a new one and the one sent
        stops working. In cookie mode the new pair is set as cookies and the body only confirms.
        """
        token, from_cookie = _refresh_token_from(request)
        pair = services.token_refresh(refresh=token)
        if wants_cookies(request) or from_cookie:
            response = Response({"detail": "Token refreshed successfully"})
            set_auth_cookies(request, response, pair)
            return response
        return Response({"access": pair.access, "refresh": pair.refresh})


class LogoutApi(NoStoreMixin, APIView):
    """Bearer sessions: authentication required, the body's refresh token blacklisted (401 if it is not valid).

    Cookie sessions (auth cookies and no ``Authorization`` header) always end: after the CSRF check, the refresh
    token is blacklisted if it still can be, and both cookies are deleted in a 200 even when the access cookie
    expired or the refresh cookie is stale. A 401 there would leave HttpOnly cookies no script can remove.
    """

    permission_classes = (AllowAny,)  # checked in post(): a stale cookie session is let through to end

    def perform_authentication(self, request):
        """An expired, revoked or garbled access *cookie* leaves the request anonymous instead of a 401, so the
        cookie session can still end; a bad ``Authorization`` header stays a 401."""
        try:
            super().perform_authentication(request)
        except AuthenticationFailed:
            if "HTTP_AUTHORIZATION" in request.META:
                raise

    @extend_schema(request=RefreshInput, responses={200: LogoutOutput}, tags=["auth"],
                   summary="Log out (blacklist the refresh token, delete the auth cookies)")
    def post(self, request):
        """Blacklists the refresh token (from the body or, in cookie mode, the cookie) so it can never be used
        again, and deletes the auth cookies; a cookie session always ends, even with a stale cookie. An access
        token already issued keeps working until it expires, a few minutes at most.
        """
        cookie_session = "HTTP_AUTHORIZATION" not in request.META and has_auth_cookies(request)
        if not cookie_session:
            if not request.user.is_authenticated:
                raise NotAuthenticated()
            token, _ = _refresh_token_from(request)
            services.token_blacklist(refresh=token, user=request.user)
            return self._logged_out("blacklisted and cannot be reused")
        enforce_csrf(request._request)  # a cross-site page must not be able to log the visitor out
        body = RefreshInput(data=request.data)
        body.is_valid(raise_exception=True)
        token = body.validated_data.get("refresh") or request.COOKIES.get(settings.JWT_COOKIE_REFRESH)
        user = request.user if request.user.is_authenticated else None
        outcome = "blacklisted and cannot be reused"
        try:
            if not token:
                raise ApplicationError("No refresh token.", code=AccountErrorCode.TOKEN_NOT_VALID, status_code=401)
            services.token_blacklist(refresh=token, user=user)
        except ApplicationError as exc:
            if exc.code != AccountErrorCode.TOKEN_NOT_VALID:
                raise
            outcome = "was already invalid, expired or blacklisted"
        return self._logged_out(outcome)

    @staticmethod
    def _logged_out(refresh_outcome: str) -> Response:
        minutes = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() // 60)
        response = Response({
            "detail": "Logged out successfully",
            "security_info": {
                "refresh_token": refresh_outcome,
                "access_token": f"will expire naturally in ~{minutes} minutes",
                "cookies": "deleted (if cookie-based auth was used)",
            },
        })
        delete_auth_cookies(response)
        return response

    def handle_exception(self, exc):
        """A cookie session refused for another reason (someone else's token: 403) still loses its cookies;
        a failed CSRF check does not (that would let any site log the visitor out)."""
        response = super().handle_exception(exc)
        csrf_refused = getattr(exc, "get_codes", lambda: None)() == CoreErrorCode.CSRF_FAILED
        if has_auth_cookies(self.request) and not csrf_refused and "HTTP_AUTHORIZATION" not in self.request.META:
            delete_auth_cookies(response)
        return response


class CsrfTokenApi(NoStoreMixin, APIView):
    """The CSRF token for a single-page app on another origin, which cannot read the API's csrftoken cookie."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        responses={200: CsrfTokenOutput}, tags=["auth"], summary="Get a CSRF token (and the csrftoken cookie)",
        description="Sets the `csrftoken` cookie and answers its value. Cookie-authenticated writes (cookie mode) "
                    "send it back in the `X-CSRFToken` header. A front end on another origin must be listed in "
                    "`CORS_ALLOWED_ORIGINS` (to read this answer) and `CSRF_TRUSTED_ORIGINS` (for its writes to "
                    "pass the Origin check), and must be on the same site as the API for the cookies to be sent.",
    )
    def get(self, request):
        response = Response({"csrf_token": get_token(request._request)})
        response["Cache-Control"] = "no-store"  # per-browser: never from a shared cache
        return response


class ChangePasswordApi(NoStoreMixin, APIView):
    @extend_schema(
        request=ChangePasswordInput, responses={200: PasswordChangedOutput}, parameters=[USE_COOKIES], tags=["auth"],
        summary="Change your password (ends every session; this client gets a fresh one)",
        description="Every access and refresh token issued before the change stops working at once, on every "
                    "device. The answer carries a new token pair for the client that made the change (or sets "
                    "new cookies when it authenticated with cookies or sends `?use_cookies=true`), so a "
                    "single-page app stays logged in without asking for the new password again.",
    )
    def post(self, request):
        """Change your password.

        Needs the current password; the new one must pass the password rules and differ from the current one
        (400 `password_unchanged` naming `new_password`: nothing changes and no session ends).
        """
        serializer = ChangePasswordInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, old_password=serializer.validated_data["old_password"],
                                      new_password=serializer.validated_data["new_password"])
        pair = services.tokens_for(request.user)
        response = Response({"detail": "Password changed successfully"})
        if wants_cookies(request) or used_cookies(request):
            set_auth_cookies(request, response, pair)
        else:
            response.data["tokens"] = {"access": pair.access, "refresh": pair.refresh}
        return response


class MeApi(NoStoreMixin, APIView):
    @extend_schema(responses={200: UserOutput}, tags=["auth"])
    def get(self, request):
        """Your profile.

        The logged-in user's account: e-mail (and whether it is verified), names, staff flag and dates.
        """
        return Response(UserOutput(request.user).data)

    @extend_schema(request=ProfileInput, responses={200: UserOutput}, tags=["auth"],
                   description="Changing `email` (the login) needs `current_password` (400 naming it when missing "
                               "or wrong), sends a notice to the previous address, and makes the account "
                               "unverified (`is_email_verified` false) until the new address confirms the "
                               "verification e-mail sent to it.")
    def patch(self, request):
        """Update your profile.

        Send only the fields to change; the answer is the whole profile.
        """
        serializer = ProfileInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        current_password = data.pop("current_password", None)
        user = services.user_update(user=request.user, data=data, current_password=current_password)
        return Response(UserOutput(user).data)

    @extend_schema(request=ProfileInput, responses={200: UserOutput}, tags=["auth"])
    def put(self, request):
        """Update your profile (PUT).

        The same as PATCH: fields left out keep their values.
        """
        return self.patch(request)


class UserListApi(NoStoreMixin, ListAPIView):
    """Every account (staff).

    Staff only, paginated: a list of every account is never public.
    """

    permission_classes = (IsAdminUser,)
    serializer_class = UserOutput

    def get_queryset(self):
        return selectors.user_list()

    @extend_schema(request=StaffUserCreateInput, responses={201: UserOutput}, tags=["auth"])
    def post(self, request):
        """Create an account (staff).

        A customer's account, or a staff one with `is_staff: true`, which only a superuser may send: from other
        staff it is a 403 `permission_denied` naming `is_staff` that creates nothing (never an account made without
        it). `is_superuser`, `groups` and `user_permissions` are not set here: a 400 naming each (a superuser gives
        them in the admin), like any field this does not take.
        """
        serializer = StaffUserCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_create_by_staff(actor=request.user, email=data["email"], password=data["password"],
                                             first_name=data["first_name"], last_name=data["last_name"],
                                             is_staff=data["is_staff"])
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class PasswordResetApi(NoStoreMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("password_reset")

    @extend_schema(request=PasswordResetInput, responses={200: DetailOutput}, tags=["auth"])
    def post(self, request):
        """Ask for a password-reset e-mail.

        Always answers 200 with the same message, whether or not an account has that e-mail, so the answer tells
        nobody which addresses have accounts. The e-mail links to the front end's reset page (`PASSWORD_RESET_URL`)
        with a `uid` and a `token` for `POST /auth/password-reset/confirm/`. Limited per client IP and per address.
        """
        serializer = PasswordResetInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response({"detail": "If an account exists for this email, a reset link has been sent."})


class PasswordResetConfirmApi(NoStoreMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = throttles_for("password_reset")

    @extend_schema(request=PasswordResetConfirmInput, responses={200: DetailOutput}, tags=["auth"])
    def post(self, request):
        """Set a new password with a reset e-mail's uid and token.

        The token works once and expires; the new password must pass the password rules. Log in afterwards.
        """
        serializer = PasswordResetConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.password_reset_confirm(uid=data["uid"], token=data["token"], new_password=data["new_password"])
        return Response({"detail": "Password has been reset. Please log in."})


ALREADY_VERIFIED = "Your e-mail address is already verified."
VERIFICATION_ERROR = OpenApiResponse(
    response=inline_serializer("EmailVerificationError", {
        "detail": serializers.CharField(),
        "code": serializers.CharField(help_text="`verification_invalid`, `verification_expired`, "
                                                "`too_many_attempts`, or `invalid` (see `errors`)."),
        "attempts_left": serializers.IntegerField(required=False,
                                                  help_text="Code tries left before a new code is needed."),
        "errors": serializers.DictField(required=False),
    }),
    description="`verification_invalid` (tampered, used or outdated link; wrong code, with `attempts_left`), "
                "`verification_expired`, `too_many_attempts` (5 tries spent: request a new code), or `invalid` "
                "input. Nothing is verified.",
)


class EmailVerificationRequestApi(NoStoreMixin, APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = user_throttles_for("email_verification")

    @extend_schema(
        request=None, responses={202: DetailOutput, 200: DetailOutput}, tags=["auth"],
        examples=VERIFY_REQUEST_EXAMPLES, summary="Send me an e-mail verification link and code",
        description="E-mails the logged-in user's address a link to the front end's `EMAIL_VERIFY_URL` page (its "
                    "`token` goes to `POST /auth/verify-email/confirm/`) and a 6-digit code, both valid "
                    "`EMAIL_VERIFICATION_HOURS` (24 by default); a new request replaces the pending code. Answers "
                    "202 once the e-mail is queued, 200 when the address is already verified. Registering and "
                    "changing the e-mail send one without asking. Limited per user and per client IP "
                    "(`email_verification`, 5/hour).",
    )
    def post(self, request):
        if not services.email_verification_request(user=request.user):
            return Response({"detail": ALREADY_VERIFIED})
        return Response({"detail": "A verification e-mail with a link and a code is on its way to your address."},
                        status=status.HTTP_202_ACCEPTED)


class EmailVerificationConfirmApi(NoStoreMixin, APIView):
    permission_classes = (AllowAny,)  # a token needs no session; the code path asks for one in post()
    throttle_classes = throttles_for("email_verification_confirm")[:1]  # per IP: a token names no one yet

    def perform_authentication(self, request):
        """Lazy: a link opened in another browser (no session, or a stale cookie) must still verify, so the
        credentials are read only when a ``code`` needs them."""

    @extend_schema(
        request=EmailVerificationConfirmInput, responses={200: DetailOutput, 400: VERIFICATION_ERROR},
        tags=["auth"], examples=VERIFY_CONFIRM_EXAMPLES, summary="Confirm my e-mail address (link token or code)",
        description="Send the link's `token` (no login needed: it works in any browser) or the e-mail's `code` "
                    "(logged in as the account). A link stops working once used, when the e-mail or password "
                    "changes, or after `EMAIL_VERIFICATION_HOURS`; a code after 5 tries, right or wrong. A 200 "
                    "means the address is verified (a code sent by an already verified account is a 200 saying "
                    "so): `is_email_verified` on `GET /auth/me/` reads true. Limited per client IP "
                    "(`email_verification_confirm`, 30/hour).",
    )
    def post(self, request):
        serializer = EmailVerificationConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "token" in data:
            services.email_verification_confirm_token(token=data["token"])
            return Response({"detail": "Your e-mail address is verified."})
        if not request.user.is_authenticated:
            raise NotAuthenticated("Log in to confirm with a code, or send the link's token instead.")
        if not services.email_verification_confirm_code(user=request.user, code=data["code"]):
            return Response({"detail": ALREADY_VERIFIED})
        return Response({"detail": "Your e-mail address is verified."})


class AddressListApi(NoStoreMixin, ListAPIView):
    """Your address book.

    Your saved addresses, paginated. Checkout accepts an address's id as `shipping_address`.
    """

    permission_classes = (IsAuthenticated,)
    serializer_class = AddressSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Address.objects.none()
        return selectors.address_list(user=self.request.user)

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer}, tags=["auth"])
    def post(self, request):
        """Add an address to your address book.

        Answers the saved address with its id.
        """
        serializer = AddressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = services.address_save(user=request.user, data=serializer.validated_data)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailApi(NoStoreMixin, APIView):
    def _get(self, request, pk: int):
        return get_object_or_404(selectors.address_list(user=request.user), pk=pk)

    @extend_schema(responses={200: AddressSerializer}, tags=["auth"])
    def get(self, request, pk: int):
        """One of your addresses.

        Another user's address answers 404.
        """
        return Response(AddressSerializer(self._get(request, pk)).data)

    @extend_schema(request=AddressSerializer, responses={200: AddressSerializer}, tags=["auth"])
    def put(self, request, pk: int):
        """Replace one of your addresses.

        Every field is sent; another user's address answers 404. Your default address stays the default until
        another one is made it: `is_default: false` on it is a 409 `address_default_required`.
        """
        return self._update(request, pk, partial=False)

    @extend_schema(request=AddressSerializer, responses={200: AddressSerializer}, tags=["auth"])
    def patch(self, request, pk: int):
        """Update one of your addresses.

        Send only the fields to change; another user's address answers 404. Your default address stays the
        default until another one is made it: `is_default: false` on it is a 409 `address_default_required`.
        """
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, *, partial: bool):
        address = self._get(request, pk)
        serializer = AddressSerializer(address, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        address = services.address_save(user=request.user, data=serializer.validated_data, address=address)
        return Response(AddressSerializer(address).data)

    @extend_schema(responses={204: None}, tags=["auth"])
    def delete(self, request, pk: int):
        """Delete one of your addresses.

        Orders keep their own copy of the address they were shipped to. Deleting the default address makes
        the newest remaining one the default.
        """
        services.address_delete(address=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
