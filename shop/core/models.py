from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def same_text(field: str, value: str) -> Exact:
    """The condition ``LOWER(field) = LOWER(value)``, for ``filter()``: ``field`` equals ``value`` ignoring case.

    Every lookup of an identifier that is unique ignoring case (product and category slugs, variant SKUs, tax class
    codes) uses it, so it finds exactly the row the uniqueness rule protects. Both sides are lowered by the
    database, as the ``Lower(...)`` unique indexes are, so PostgreSQL answers it from those indexes (``LOWER('x')`` is
    folded to a constant at planning; with the live-rows condition in the query, the partial ones qualify).
    """
    return Exact(Lower(field), Lower(Value(value)))
