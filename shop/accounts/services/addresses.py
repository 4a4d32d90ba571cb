"""The address book: save (one default per user) and delete."""

from django.db import transaction

from shop.core.exceptions import Conflict

from ..errors import AccountErrorCode
from ..models import Address, User


def _address_book_lock(user: User) -> None:
    """Serialise one user's address-book writes: concurrent "first address" or "make default" requests would
    otherwise each see no other default and collide on the one-default constraint."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


@transaction.atomic
def address_save(*, user: User, data: dict, address: Address | None = None) -> Address:
    """Create or update an address book entry; making one the default unsets the previous default.

    A book with addresses always has one default: the first address is made it, deleting it passes the flag on,
    and un-flagging it (``is_default: false``) is refused with 409 ``address_default_required`` (make another
    address the default instead), as for the default tax class."""
    _address_book_lock(user)
    if address is not None and address.is_default and data.get("is_default") is False:
        raise Conflict("This address stays your default until you make another address the default "
                       "(send is_default: true on that one).", code=AccountErrorCode.ADDRESS_DEFAULT_REQUIRED)
    address = address or Address(user=user)
    for field, value in data.items():
        setattr(address, field, value)
    if address.country:
        address.country = address.country.upper()
    first = not Address.objects.filter(user=user).exclude(pk=address.pk).exists()
    if first:
        address.is_default = True
    if address.is_default:
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(is_default=False)
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    _address_book_lock(address.user)
    was_default, user = address.is_default, address.user
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
