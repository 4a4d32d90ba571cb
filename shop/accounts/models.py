from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from shop.core.email_claims import EmailClaim
from shop.core.models import TimeStampedModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Email is the login. It is stored lower-cased and unique whatever the case it was typed in."""

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Every JWT carries the version it was issued at (TOKEN_VERSION_CLAIM); a password change, a reset or a
    # deactivation bumps it, so every earlier token (access and refresh) stops working at once.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # Proven by a link or code sent to ``email`` (shop/accounts/verification.py); a new e-mail resets it. Claiming
    # guest orders placed with an address relies on it, so nothing but a confirmed verification sets it.
    is_email_verified = models.BooleanField(default=False, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(TimeStampedModel):
    """An entry in a customer's address book. Orders copy it (a snapshot), so editing it never rewrites history."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line_1 = models.CharField(max_length=255)
    address_line_2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. KE, EG, US")
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "-id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="accounts_address_one_default"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.city}"


class EmailVerificationCode(models.Model):
    """The one pending short code of a user's e-mail verification (a new request replaces it).

    ``code_hash`` is an HMAC (SECRET_KEY) of the user id, ``email`` and the 6-digit code, never the code itself;
    ``email`` is the address the code was sent to, so a code for an address the user has since left is dead.
    ``attempts`` counts tries (right or wrong), spent by a guarded UPDATE up to ``MAX_ATTEMPTS``.
    """

    MAX_ATTEMPTS = 5

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True,
                                related_name="email_verification_code")
    email = models.EmailField(max_length=254)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"verification code for {self.email}"


class AccountEmail(EmailClaim):
    """One account e-mail a request asked for (each request its own: a second reset link is a second e-mail),
    written in that request's transaction already claimed for the task queued after its commit, then sent and
    marked sent by that task, or, if the task never ran or died, by the one the sweep hands it to
    (``shop/accounts/emails.py``; the claim columns and their rules: ``shop/core/email_claims.py``). What the
    e-mail carries (a reset link, a verification code) is made when it is sent: no secret waits here or in the
    broker. Sent rows are pruned a day later by the sweep."""

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Password reset"
        EMAIL_VERIFICATION = "email_verification", "E-mail verification"
        EMAIL_CHANGED = "email_changed", "E-mail changed notice"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The address an e-mail-changed notice goes to (the one the account left); blank for the other kinds.
    old_email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The sweep's question (unsent claims older than the lease), answered without reading the sent rows.
        indexes = [models.Index(fields=["claimed_at"], condition=models.Q(sent_at__isnull=True),
                                name="accounts_email_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} e-mail for user {self.user_id}"
