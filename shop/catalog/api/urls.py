from django.urls import path

from . import views

# Fixed segments (categories/, images/, variants/) come before <slug>/ so they are never read as product slugs.
urlpatterns = [
    path("", views.ProductListCreateApi.as_view(), name="product-list"),
    path("categories/", views.CategoryListCreateApi.as_view(), name="category-list"),
    path("categories/<slug:slug>/", views.CategoryDetailApi.as_view(), name="category-detail"),
    path("images/<int:pk>/", views.ProductImageDetailApi.as_view(), name="product-image-detail"),
    path("variants/<int:pk>/", views.ProductVariantDetailApi.as_view(), name="product-variant-detail"),
    path("variants/<int:pk>/restore/", views.ProductVariantRestoreApi.as_view(), name="product-variant-restore"),
    # A deleted product is addressed by id: its slug may belong to a live product by now.
    path("<int:pk>/restore/", views.ProductRestoreApi.as_view(), name="product-restore"),
    path("<slug:slug>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("<slug:slug>/images/", views.ProductImageCreateApi.as_view(), name="product-image-create"),
    path("<slug:slug>/variants/", views.ProductVariantCreateApi.as_view(), name="product-variant-create"),
]
