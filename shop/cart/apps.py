from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "shop.cart"
    label = "cart"

    def ready(self) -> None:
        from shop.accounts.hooks import login_hook_register

        from .login import CartMergeHook

        login_hook_register(CartMergeHook())
