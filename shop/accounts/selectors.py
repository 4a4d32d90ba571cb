from django.db.models import QuerySet

from .models import Address, User


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


def address_list(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user)
