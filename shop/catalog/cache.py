"""Catalog read cache invalidation hook (filled in by the catalog caching work)."""


def catalog_invalidate(*, product_ids: tuple[int, ...] = (), variant_ids: tuple[int, ...] = ()) -> None:
    """Drop every cached catalog response that could show these products or variants."""
