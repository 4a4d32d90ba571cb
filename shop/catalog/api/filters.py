import django_filters
from django import forms
from django.db.models import Subquery

from shop.catalog.models import Category, Product
from shop.catalog.selectors import product_search


class IdFilter(django_filters.NumberFilter):
    """A whole, in-range id: ``1.5`` or a 20-digit number is a 400, not a database overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """The requested order, then the id, so equal prices or names never shuffle between pages."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-id" if ordering[0].startswith("-") else "id")


class ProductFilter(django_filters.FilterSet):
    """Query parameters of ``GET /products/``. Bad values (``category=abc``, ``ordering=password``) give 400."""

    category = IdFilter(field_name="category_id")
    category__slug = django_filters.CharFilter(method="filter_category_slug", max_length=140)
    is_active = django_filters.BooleanFilter(field_name="is_active")
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    ordering = StableOrderingFilter(fields=("price", "created_at", "name"))

    class Meta:
        model = Product
        fields = ("category", "category__slug", "is_active", "search", "ordering")

    def filter_category_slug(self, queryset, name, value):
        # A scalar subquery rather than a join on the slug: PostgreSQL evaluates it once and then walks the
        # (category, ordering) index of that one category, instead of the whole catalog's ordering index.
        return queryset.filter(category_id=Subquery(Category.objects.filter(slug=value).values("id")[:1]))

    def filter_search(self, queryset, name, value):
        return product_search(queryset, value)
