from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "shop.pricing"
    label = "pricing"
    verbose_name = "Pricing and taxes"
