"""The API's routes as ``config.urls`` resolves them, for the table-driven security tests.

Routes are named by their pattern without the ``api/v1/`` prefix (the same views are mounted twice); Django's own
admin (``admin/``, staff sessions only) is left to Django.
"""

from django.urls import URLPattern, URLResolver, get_resolver

V1 = "api/v1/"


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def api_routes() -> dict[str, object]:
    """``{route: view class}`` for every API route (both mounts folded into one name)."""
    routes = {}
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "^media/")):  # the admin has its own auth; media are public product images
            continue
        name = route.removeprefix(V1)
        # DRF views carry their class as ``cls``, Django's class-based views as ``view_class``.
        routes[name] = getattr(callback, "cls", None) or getattr(callback, "view_class", callback)
    return routes


def id_routes() -> set[str]:
    """Routes that take an object identifier in the path (``<int:pk>``, ``<slug:slug>``...)."""
    return {route for route in api_routes() if "<" in route}


def methods_of(view) -> list[str]:
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
