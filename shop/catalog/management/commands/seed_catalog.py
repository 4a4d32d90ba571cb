"""Bulk-create a large catalog for benchmarks: ``manage.py seed_catalog --products 100000``.

Rows go in with ``bulk_create`` in batches (one INSERT per batch); on PostgreSQL the search vector is filled by
the trigger as rows arrive. Every run adds N new products under a fresh slug token. A progress bar (tqdm) on
stderr shows how many are in and the time left; ``--no-progress`` turns it off.
"""

import random
import secrets
import sys
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from shop.catalog.cache import catalog_invalidate
from shop.catalog.models import Category, Product, ProductImage, ProductVariant

ADJECTIVES = ["Compact", "Wireless", "Classic", "Premium", "Organic", "Portable", "Ergonomic", "Vintage", "Smart",
              "Heavy-duty", "Lightweight", "Waterproof", "Handmade", "Eco", "Deluxe", "Mini", "Pro", "Ultra"]
NOUNS = ["Headphones", "Speaker", "Keyboard", "Backpack", "Kettle", "Lamp", "Jacket", "Sneakers", "Blender",
         "Notebook", "Watch", "Camera", "Tent", "Bottle", "Chair", "Desk", "Mug", "Grinder", "Skillet", "Sweater",
         "Charger", "Monitor", "Router", "Drone", "Pillow", "Blanket", "Helmet", "Bicycle", "Guitar", "Puzzle"]
MATERIALS = ["steel", "bamboo", "cotton", "aluminium", "leather", "glass", "recycled plastic", "oak", "wool"]
USES = ["travel", "the office", "the kitchen", "outdoor adventures", "everyday use", "gifting", "the gym", "kids"]
CATEGORIES = ["Electronics", "Books", "Home", "Kitchen", "Clothing", "Shoes", "Sports", "Outdoors", "Toys", "Garden",
              "Beauty", "Health", "Office", "Music", "Automotive", "Pets", "Baby", "Tools", "Jewellery", "Games"]


class Command(BaseCommand):
    help = "Bulk-create N products (with images, some variants) for load tests."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, required=True, help="How many products to create.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for reproducible data.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (e.g. in CI logs).")

    def handle(self, *args, products: int, batch_size: int, seed: int, no_progress: bool = False, **options):
        if products < 1:
            raise CommandError("--products must be at least 1")
        rng = random.Random(seed)
        token = secrets.token_hex(3)
        started = time.monotonic()
        categories = [
            Category.objects.get_or_create(slug=f"bench-{name.lower()}", defaults={"name": name})[0]
            for name in CATEGORIES
        ]
        created = 0
        progress = tqdm(total=products, unit=" products", unit_scale=True, desc="Creating", disable=no_progress,
                        file=options.get("stderr") or sys.stderr)
        while created < products:
            size = min(batch_size, products - created)
            with transaction.atomic():
                rows = []
                for offset in range(size):
                    number = created + offset
                    adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
                    rows.append(Product(
                        category=categories[number % len(categories)],
                        name=f"{adjective} {noun} {number}",
                        slug=f"{adjective}-{noun}-{token}-{number}".lower(),
                        description=(f"A {adjective.lower()} {noun.lower()} made of {rng.choice(MATERIALS)}, "
                                     f"designed for {rng.choice(USES)}."),
                        price=Decimal(rng.randrange(199, 99999)) / 100,
                        stock_quantity=rng.randrange(0, 500),
                        is_active=rng.random() > 0.05,
                    ))
                batch = Product.objects.bulk_create(rows, batch_size=batch_size)
                images, variants = [], []
                for product in batch:
                    images.append(ProductImage(product_id=product.pk, is_primary=True,
                                               image_url=f"https://images.example.com/bench/{product.slug}.jpg"))
                    if product.pk % 10 == 0:
                        for size_label in ("S", "M", "L"):
                            variants.append(ProductVariant(
                                product_id=product.pk, sku=f"{product.slug[:50]}-{size_label}".upper(),
                                name=size_label, options={"size": size_label},
                                stock_quantity=rng.randrange(0, 50),
                            ))
                ProductImage.objects.bulk_create(images, batch_size=batch_size)
                ProductVariant.objects.bulk_create(variants, batch_size=batch_size)
            created += size
            progress.update(size)
        progress.close()
        catalog_invalidate()
        self.stdout.write(self.style.SUCCESS(
            f"Created {products} products in {time.monotonic() - started:.1f}s (slug token {token})."
        ))
