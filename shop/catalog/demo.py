"""The demo shop's catalog: categories, 50 products with generated images and stock, some sold in variants.

:func:`demo_catalog_seed` creates only what never existed and leaves everything else as staff left it: a demo
product or variant staff deleted stays deleted (its soft-deleted row is found by slug or SKU), and a category or
image set staff removed is not drawn again (``DemoSeedRecord`` remembers what was created once). With
``reset=True`` it puts every demo category, product, image and variant back as first seeded, bringing deleted
ones back (products staff created themselves are never touched). Images are drawn with Pillow into the media
storage (``MEDIA_ROOT`` or the S3 bucket), so any storefront shows them without a network.
"""

import io
import textwrap
from collections import Counter
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from .cache import catalog_invalidate
from .models import Category, DemoSeedRecord, Product, ProductImage, ProductVariant

# Images the first demo linked to a placeholder domain that serves nothing: replaced by generated ones.
RETIRED_IMAGE_PREFIX = "https://images.example.com/demo/"
IMAGE_SIZE = 600
# One colour per category (background, accent), in CATALOG's order.
PALETTE = [("#1f4e79", "#f2c14e"), ("#6b2d5c", "#f0a6ca"), ("#2e6b3f", "#e8d8a0"), ("#8a3b12", "#f5cba7"),
           ("#1d5c63", "#b8e0d2")]

CATALOG = {
    ("Electronics", "electronics", "Gadgets, audio and accessories."): [
        ("Wireless Headphones", "Over-ear Bluetooth headphones with active noise cancelling and 30-hour battery.",
         "99.99", 50),
        ("Bluetooth Speaker", "Waterproof portable speaker with deep bass and 12-hour playback.", "49.90", 80),
        ("USB-C Charger 65W", "Compact GaN charger that powers a laptop and a phone at once.", "39.00", 120),
        ("Mechanical Keyboard", "Tenkeyless keyboard with tactile switches and white backlight.", "89.50", 35),
        ("Wireless Mouse", "Quiet ergonomic mouse with a silent scroll wheel.", "24.99", 150),
        ("4K Monitor 27\"", "IPS panel with USB-C power delivery and factory colour calibration.", "329.00", 12),
        ("Smartwatch", "Fitness tracking, heart-rate monitor and five-day battery.", "149.00", 40),
        ("E-Reader", "Glare-free 6-inch display with adjustable warm light.", "119.00", 25),
        ("Webcam 1080p", "Full HD webcam with dual microphones and privacy shutter.", "59.00", 60),
        ("Power Bank 20000mAh", "Charge a phone four times; USB-C in and out.", "35.00", 90),
    ],
    ("Books", "books", "Fiction, non-fiction and cookbooks."): [
        ("The Pragmatic Programmer", "Timeless advice on the craft of software development.", "42.00", 30),
        ("Clean Architecture", "Principles for structuring software systems that last.", "38.50", 22),
        ("Salt Fat Acid Heat", "The four elements of good cooking, illustrated.", "30.00", 18),
        ("Sapiens", "A brief history of humankind.", "19.99", 45),
        ("Dune", "The science-fiction classic of politics, ecology and spice.", "14.99", 60),
        ("Atomic Habits", "Tiny changes, remarkable results.", "21.00", 75),
        ("The Art of War", "Sun Tzu's treatise on strategy.", "9.99", 100),
        ("Thinking, Fast and Slow", "How two systems drive the way we think.", "18.00", 33),
        ("A Little Life", "A novel of friendship across decades.", "17.50", 14),
        ("The Hobbit", "Bilbo Baggins' unexpected journey.", "12.99", 55),
    ],
    ("Home & Kitchen", "home-kitchen", "Cookware, coffee and everyday essentials."): [
        ("Espresso Machine", "15-bar pump espresso machine with steam wand for milk drinks.", "249.00", 10),
        ("Burr Coffee Grinder", "Conical burr grinder with 40 grind settings, from espresso to French press.",
         "89.00", 20),
        ("Cast Iron Skillet", "Pre-seasoned 26 cm skillet that goes from stove to oven.", "34.90", 40),
        ("Chef's Knife", "20 cm stainless steel chef's knife, full tang.", "59.00", 30),
        ("Electric Kettle", "1.7 L kettle with temperature control for tea and coffee.", "45.00", 50),
        ("Bamboo Cutting Board", "Large reversible board with juice groove.", "22.00", 70),
        ("French Press", "1 L borosilicate glass press with double filter.", "27.50", 45),
        ("Non-stick Frying Pan", "28 cm ceramic-coated pan, PFAS free.", "39.99", 38),
        ("Digital Kitchen Scale", "Precise to 1 g up to 5 kg, with tare.", "15.99", 90),
        ("Linen Tea Towels", "Set of three stonewashed linen towels.", "19.00", 65),
    ],
    ("Clothing", "clothing", "Everyday basics and outerwear."): [
        ("Organic Cotton T-Shirt", "Heavyweight organic cotton tee with a relaxed fit.", "25.00", 0),
        ("Merino Wool Sweater", "Soft merino crew-neck that regulates temperature.", "79.00", 0),
        ("Rain Jacket", "Packable waterproof jacket with taped seams.", "99.00", 0),
        ("Running Shoes", "Lightweight trainers with responsive foam cushioning.", "110.00", 0),
        ("Denim Jeans", "Straight-leg selvedge denim.", "89.00", 0),
        ("Wool Socks", "Cushioned hiking socks, pack of two.", "18.00", 120),
        ("Canvas Sneakers", "Classic low-top canvas sneakers.", "55.00", 0),
        ("Linen Shirt", "Breathable linen shirt for warm days.", "49.00", 0),
        ("Puffer Vest", "Recycled-down vest for layering.", "85.00", 0),
        ("Baseball Cap", "Washed cotton cap with adjustable strap.", "20.00", 80),
    ],
    ("Sports & Outdoors", "sports-outdoors", "Gear for training, hiking and camping."): [
        ("Yoga Mat", "6 mm non-slip mat with carrying strap.", "29.00", 60),
        # Low and out of stock on purpose: the admin's stock filter and the storefront have something to show.
        ("Adjustable Dumbbells", "Pair of dumbbells adjustable from 2 to 24 kg.", "299.00", 3),
        ("Hiking Backpack 30L", "Ventilated back panel, rain cover included.", "79.90", 25),
        ("Insulated Water Bottle", "Keeps drinks cold 24 hours, hot 12 hours.", "24.00", 140),
        ("Camping Tent 2P", "Freestanding two-person tent, 2.1 kg.", "189.00", 0),
        ("Resistance Bands", "Set of five latex-free bands with handles.", "19.99", 75),
        ("Trekking Poles", "Collapsible carbon poles with cork grips.", "69.00", 20),
        ("Headlamp", "Rechargeable 400-lumen headlamp with red light mode.", "32.00", 50),
        ("Jump Rope", "Speed rope with ball-bearing handles.", "12.00", 110),
        ("Sleeping Bag", "Three-season bag rated to -2 °C.", "119.00", 15),
    ],
}

# Products sold in sizes or colours: their stock lives on the variants.
VARIANTS = {
    "organic-cotton-t-shirt": [("size", ["S", "M", "L", "XL"]), ("colour", ["white", "black"])],
    "merino-wool-sweater": [("size", ["S", "M", "L"])],
    "rain-jacket": [("size", ["S", "M", "L", "XL"])],
    "running-shoes": [("size", ["40", "41", "42", "43", "44"])],
    "denim-jeans": [("size", ["30/32", "32/32", "34/32"])],
    "canvas-sneakers": [("size", ["39", "40", "41", "42"])],
    "linen-shirt": [("size", ["M", "L"]), ("colour", ["sand", "sky"])],
    "puffer-vest": [("size", ["S", "M", "L"])],
    "yoga-mat": [("colour", ["sage", "plum", "charcoal"])],
}


def _combinations(axes):
    if not axes:
        return []  # a product without options is bought as itself, not through one nameless variant
    combos = [{}]
    for axis, values in axes:
        combos = [{**combo, axis: value} for combo in combos for value in values]
    return combos


def _font(size: int):
    return ImageFont.load_default(size=size)


def demo_image(*, name: str, category: str, colours: tuple[str, str], view: str) -> ContentFile:
    """A JPEG (``IMAGE_SIZE`` square, about 20 KB) naming the product: ``view`` "main" or "side" varies the
    drawing so a product's two images differ. Deterministic: the same arguments draw the same picture."""
    background, accent = colours
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
    draw = ImageDraw.Draw(image)
    if view == "main":
        draw.ellipse((90, 60, 510, 480), fill=accent)
    else:
        for offset in range(-IMAGE_SIZE, IMAGE_SIZE, 80):
            draw.line((offset, IMAGE_SIZE, offset + IMAGE_SIZE, 0), fill=accent, width=18)
    lines = textwrap.wrap(name, width=14)[:3]
    font = _font(54)
    top = 270 - 33 * len(lines)
    for index, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        x, y = (IMAGE_SIZE - width) / 2, top + index * 66
        draw.rounded_rectangle((x - 14, y - 6, x + width + 14, y + 62), radius=12, fill=background)
        draw.text((x, y), line, font=font, fill="#ffffff")
    draw.rectangle((0, IMAGE_SIZE - 76, IMAGE_SIZE, IMAGE_SIZE), fill=background)
    draw.text((30, IMAGE_SIZE - 60), f"{category} \u00b7 {view} view", font=_font(26), fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return ContentFile(buffer.getvalue())


def _add_images(product: Product, *, category: str, colours) -> int:
    for view in ("main", "side"):
        image = ProductImage(product=product, is_primary=view == "main")
        image.image.save(f"{product.slug}-{view}.jpg",
                         demo_image(name=product.name, category=category, colours=colours, view=view), save=False)
        image.save()
    return 2


def _remove_images(images) -> None:
    for image in images:
        if image.image:
            image.image.delete(save=False)
        image.delete()


def demo_seeded(name: str) -> bool:
    """True once ``seed_demo`` created the demo item ``name`` (``"category:books"``), whatever became of it."""
    return DemoSeedRecord.objects.filter(name=name).exists()


def demo_seed_record(name: str) -> None:
    """Remember that the demo item ``name`` exists (created now, or found present)."""
    DemoSeedRecord.objects.get_or_create(name=name)


def _kept(model, **lookup):
    """The live row with this identifier, else the newest soft-deleted one, else None."""
    return model.objects.filter(**lookup).order_by("is_deleted", "-pk").first()


def _category(slug: str, defaults: dict, *, reset: bool, created: Counter) -> Category | None:
    name = f"category:{slug}"
    category = Category.objects.filter(slug=slug).first()
    if reset:
        category, made = Category.objects.update_or_create(slug=slug, defaults=defaults)
    elif category is None and not demo_seeded(name):
        category, made = Category.objects.create(slug=slug, **defaults), True
    else:
        made = False
        created["left_deleted"] += category is None
    created["categories"] += made
    if category is not None:
        demo_seed_record(name)
    return category


def _product(slug: str, defaults: dict, *, reset: bool, created: Counter) -> Product | None:
    """The demo product ``slug``: created if it never existed; a deleted one stays deleted unless ``reset``
    (which brings the kept row back, with the variants deleted with it, as first seeded)."""
    product = _kept(Product, slug=slug)
    if product is None:
        created["products"] += 1
        return Product.objects.create(slug=slug, **defaults)
    if not reset:
        created["left_deleted"] += product.is_deleted
        return None if product.is_deleted else product
    if product.is_deleted and product.deleted_at is not None:
        ProductVariant.objects.filter(product=product, is_deleted=True, deleted_at=product.deleted_at).update(
            is_deleted=False, deleted_at=None)
    for field, value in defaults.items():
        setattr(product, field, value)
    product.save()
    created["restored_products"] += 1
    _remove_images(product.images.all())
    return product


def _variant(sku: str, defaults: dict, *, reset: bool, created: Counter) -> None:
    variant = _kept(ProductVariant, sku=sku)
    if variant is None:
        ProductVariant.objects.create(sku=sku, **defaults)
        created["variants"] += 1
    elif reset:
        for field, value in {**defaults, "deleted_at": None}.items():
            setattr(variant, field, value)
        variant.save()
    else:
        created["left_deleted"] += variant.is_deleted


@transaction.atomic
def demo_catalog_seed(*, reset: bool = False) -> Counter:
    """Create the demo categories, products, images and variants that never existed; ``reset`` restores them all
    (deleted ones included).

    Returns what was created (``categories``, ``products``, ``images``, ``variants``), how many demo items staff
    deleted were left deleted (``left_deleted``) and, with ``reset``, what was restored (``restored_products``).
    Demo images still pointing at the retired placeholder domain are replaced. The public catalog cache is
    invalidated after commit when anything changed.
    """
    created = Counter()
    retired = ProductImage.objects.filter(image_url__startswith=RETIRED_IMAGE_PREFIX)
    redraw = set(retired.values_list("product_id", flat=True))
    _remove_images(retired)
    for position, ((cat_name, cat_slug, cat_description), items) in enumerate(CATALOG.items()):
        category = _category(cat_slug, {"name": cat_name, "description": cat_description}, reset=reset,
                             created=created)
        colours = PALETTE[position % len(PALETTE)]
        for index, (name, description, price, stock) in enumerate(items):
            slug = slugify(name)
            defaults = {"name": name, "description": description, "price": Decimal(price), "stock_quantity": stock,
                        "category": category, "is_active": True, "is_deleted": False, "deleted_at": None}
            product = _product(slug, defaults, reset=reset, created=created)
            if product is None:
                continue  # staff deleted it: it stays deleted, and so do its variants and images
            images = f"images:{slug}"
            if not product.images.exists() and (reset or product.pk in redraw or not demo_seeded(images)):
                created["images"] += _add_images(product, category=cat_name, colours=colours)
            demo_seed_record(images)
            for combo_index, combo in enumerate(_combinations(VARIANTS.get(slug, []))):
                code = "-".join(value.replace("/", "") for value in combo.values()).upper()
                _variant(f"{slug[:40].upper()}-{code}", {
                    "product": product, "name": " / ".join(combo.values()), "options": combo,
                    "barcode": f"200{position + 1:03d}{index:02d}{combo_index:04d}",
                    "stock_quantity": 5 + (combo_index * 3) % 17, "price_override": None, "is_active": True,
                    "is_deleted": False,
                }, reset=reset, created=created)
    if reset or any(created[key] for key in ("categories", "products", "images", "variants")):
        transaction.on_commit(catalog_invalidate)
    return created
