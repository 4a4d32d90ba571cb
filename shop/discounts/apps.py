from django.apps import AppConfig


class DiscountsConfig(AppConfig):
    name = "shop.discounts"
    label = "discounts"
    verbose_name = "Vouchers and promotions"

    def ready(self) -> None:
        from shop.catalog import hooks

        from . import memo_invalidation
        from .catalog_prices import PromotionSalePricing

        memo_invalidation.connect()
        hooks.sale_pricing_register(PromotionSalePricing())
