"""Rows already in hand, left on an instance as ``prefetch_related`` would leave them."""


def rows_as_prefetched(instance, name: str, rows: list) -> None:
    """Leave ``rows`` as the contents of ``instance``'s related manager ``name``, as ``prefetch_related`` does (no
    query to read them): rows already in hand, in the order the selectors read them (the checkout's new order
    answered from the rows it wrote: ``shop.orders.selectors.order_of_checkout``). For a reverse foreign key, each
    row not already linked to its parent is linked to ``instance``, as Django's prefetch links it, so walking back
    (``line.order``) costs no query."""
    related = getattr(instance, name)
    field = getattr(related, "field", None)  # the rows' foreign key to ``instance`` (reverse many-to-one)
    if field is not None:
        for row in rows:
            if not field.is_cached(row):
                setattr(row, field.name, instance)
    manager = related.get_queryset()
    manager._result_cache = rows
    manager._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = manager
