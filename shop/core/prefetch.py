"""Rows already in hand, left on an instance as ``prefetch_related`` would leave them."""


def rows_as_prefetched(instance, name: str, rows: list) -> None:
    """Leave ``rows`` as the contents of ``instance``'s related manager ``name``, as ``prefetch_related`` does (no
    query to read them): rows already in hand, in the order the selectors read them (the checkout's new order
    answered from the rows it wrote: ``shop.orders.selectors.order_of_checkout``)."""
    manager = getattr(instance, name).get_queryset()
    manager._result_cache = rows
    manager._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = manager
