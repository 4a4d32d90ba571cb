from rest_framework.permissions import SAFE_METHODS, BasePermission

_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class CatalogWritePermission(BasePermission):
    """Reads are public; a write needs the Django model permission for the view's ``perm_model``
    (``catalog.add_product``, ``catalog.change_productimage``...). Superusers have them all, and a shop can give
    a non-superuser "catalog manager" group exactly these. Anonymous writes get 401, customers 403.
    A view may name the action itself (``perm_action = "change"``: a restore is a change, not an add).
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "perm_action", None) or _ACTIONS.get(request.method)
        if action is None:
            return False
        return user.is_staff and user.has_perm(f"catalog.{action}_{view.perm_model}")
