from django.urls import path

from . import views

urlpatterns = [
    path("tax-classes/", views.TaxClassListCreateApi.as_view(), name="tax-class-list"),
    path("tax-classes/<int:pk>/", views.TaxClassDetailApi.as_view(), name="tax-class-detail"),
    path("tax-rates/", views.TaxRateListCreateApi.as_view(), name="tax-rate-list"),
    path("tax-rates/<int:pk>/", views.TaxRateDetailApi.as_view(), name="tax-rate-detail"),
]
