"""Every image URL the API answers is absolute, so a front end on another origin (CORS_ALLOWED_ORIGINS) shows it.

An uploaded file's storage URL that is a path (``/media/...``) gets the public base URL in front (PUBLIC_BASE_URL,
else the request's scheme and host); URLs that are already absolute (S3 or an absolute MEDIA_URL, an image_url
staff gave) are answered unchanged. Cached catalog pages keep one entry per origin.
"""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from shop.catalog import services
from shop.catalog.models import ProductImage

from .factories import ProductImageFactory

pytestmark = pytest.mark.django_db

A, B = "a.test", "b.test"


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _hosts_and_media(settings, tmp_path):
    settings.ALLOWED_HOSTS = [A, B, "testserver"]
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = ""


@pytest.fixture
def uploaded(product) -> ProductImage:
    """A primary image whose file went through the media storage (MEDIA_ROOT, served at /media/)."""
    image = ProductImage(product=product, is_primary=True)
    image.image.save("sleeping-bag-main.jpg", ContentFile(jpeg_bytes()), save=True)
    return image


def media_path(image: ProductImage) -> str:
    return f"/media/{image.image.name}"


def image_urls(body: dict) -> list[str]:
    return [image["image_url"] for image in body["images"]]


def test_public_list_and_detail_answer_absolute_urls_of_uploaded_files(
    api_client, product, uploaded, django_assert_max_num_queries
):
    expected = f"http://{A}{media_path(uploaded)}"

    # The plain list's budget: COUNT, the page's ids, its rows, images, variants, sale prices (2).
    with django_assert_max_num_queries(7):
        listed = api_client.get("/products/", HTTP_HOST=A)
    detail = api_client.get(f"/products/{product.slug}/", HTTP_HOST=A)

    assert listed.status_code == 200 and detail.status_code == 200
    assert listed.json()["results"][0]["images"] == [
        {"id": uploaded.id, "product": product.id, "image_url": expected, "is_primary": True}
    ]
    assert image_urls(detail.json()) == [expected]


def test_the_file_behind_the_absolute_url_is_served(api_client, product, uploaded):
    url = image_urls(api_client.get(f"/products/{product.slug}/").json())[0]

    assert url == f"http://testserver{media_path(uploaded)}"
    served = api_client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == jpeg_bytes()


def test_staff_reads_answer_absolute_urls(manager_client, product, uploaded):
    expected = [f"https://{A}{media_path(uploaded)}"]

    listed = manager_client.get("/products/", HTTP_HOST=A, secure=True)
    detail = manager_client.get(f"/products/{product.slug}/", HTTP_HOST=A, secure=True)
    image = manager_client.get(f"/products/images/{uploaded.id}/", HTTP_HOST=A, secure=True)

    assert listed.status_code == 200 and listed["Cache-Control"] == "private, no-store"
    assert image_urls(listed.json()["results"][0]) == expected
    assert image_urls(detail.json()) == expected
    assert image.status_code == 200
    assert image.json() == {"id": uploaded.id, "product": product.id, "image_url": expected[0], "is_primary": True}


def test_public_image_read_answers_an_absolute_url(api_client, product, uploaded):
    response = api_client.get(f"/products/images/{uploaded.id}/", HTTP_HOST=B)

    assert response.status_code == 200
    assert response.json() == {
        "id": uploaded.id,
        "product": product.id,
        "image_url": f"http://{B}{media_path(uploaded)}",
        "is_primary": True,
    }


def test_write_answers_carry_absolute_urls(manager_client, product, uploaded):
    expected = f"http://{A}{media_path(uploaded)}"

    updated = manager_client.patch(f"/products/{product.slug}/", {"name": "Warm bag"}, format="json", HTTP_HOST=A)
    image_patched = manager_client.patch(
        f"/products/images/{uploaded.id}/", {"is_primary": True}, format="json", HTTP_HOST=A
    )
    variant_added = manager_client.post(
        f"/products/{product.slug}/variants/",
        {"sku": "BAG-L", "name": "Large", "stock_quantity": 2},
        format="json",
        HTTP_HOST=A,
    )

    assert updated.status_code == 200 and image_urls(updated.json()) == [expected]
    assert image_patched.status_code == 200
    assert image_patched.json() == {"id": uploaded.id, "product": product.id, "image_url": expected, "is_primary": True}
    assert variant_added.status_code == 201 and image_urls(variant_added.json()) == [expected]
    assert [v["sku"] for v in variant_added.json()["variants"]] == ["BAG-L"]


def test_replacing_an_image_answers_the_uploaded_file_absolutely(manager_client, product, uploaded):
    # The uploaded file wins over the URL given alongside it, as before: only its URL is now absolute.
    response = manager_client.put(
        f"/products/images/{uploaded.id}/",
        {"product": product.id, "image_url": "https://cdn.example.com/x.jpg"},
        format="json",
        HTTP_HOST=B,
    )

    assert response.status_code == 200
    assert response.json()["image_url"] == f"http://{B}{media_path(uploaded)}"


def test_uploading_answers_the_new_file_absolutely(manager_client, product):
    upload = ContentFile(jpeg_bytes(), name="tent.jpg")

    response = manager_client.post(
        f"/products/{product.slug}/images/", {"image": upload}, format="multipart", HTTP_HOST=A
    )

    assert response.status_code == 201
    image = ProductImage.objects.get(product=product)
    assert image_urls(response.json()) == [f"http://{A}{media_path(image)}"]


def test_restoring_a_product_answers_absolute_urls(manager_client, product, uploaded):
    services.product_soft_delete(product=product)

    response = manager_client.post(f"/products/{product.id}/restore/", {}, format="json", HTTP_HOST=B)

    assert response.status_code == 200
    assert image_urls(response.json()) == [f"http://{B}{media_path(uploaded)}"]


def shown_urls(response) -> list[str]:
    """The image URLs of the one product a list page or a detail answer shows."""
    body = response.json()
    return image_urls(body["results"][0] if "results" in body else body)


def test_two_hosts_served_from_the_cache_each_get_their_own_urls(
    api_client, product, uploaded, django_assert_num_queries
):
    for path in ("/products/", f"/products/{product.slug}/"):
        first_a = api_client.get(path, HTTP_HOST=A)
        first_b = api_client.get(path, HTTP_HOST=B)
        https_a = api_client.get(path, HTTP_HOST=A, secure=True)
        with django_assert_num_queries(0):
            again_a = api_client.get(path, HTTP_HOST=A)
            again_b = api_client.get(path, HTTP_HOST=B)

        assert [r["X-Cache"] for r in (first_a, first_b, https_a, again_a, again_b)] == [
            "MISS",
            "MISS",
            "MISS",
            "HIT",
            "HIT",
        ]
        assert shown_urls(again_a) == [f"http://{A}{media_path(uploaded)}"]
        assert shown_urls(again_b) == [f"http://{B}{media_path(uploaded)}"]
        assert shown_urls(https_a) == [f"https://{A}{media_path(uploaded)}"]
        assert again_a["ETag"] != again_b["ETag"]


def test_public_base_url_wins_over_the_request_host(api_client, manager_client, product, uploaded, settings):
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    expected = [f"https://shop.example.com{media_path(uploaded)}"]

    public = api_client.get(f"/products/{product.slug}/", HTTP_HOST=A)
    staff = manager_client.get("/products/", HTTP_HOST=B)
    image = api_client.get(f"/products/images/{uploaded.id}/", HTTP_HOST=B)

    assert public.status_code == 200 and image_urls(public.json()) == expected
    assert image_urls(staff.json()["results"][0]) == expected
    assert image.json()["image_url"] == expected[0]


def test_urls_staff_gave_are_answered_unchanged(api_client, manager_client, product):
    external = ProductImageFactory(product=product, is_primary=True, image_url="https://cdn.example.com/a.jpg")
    other = ProductImageFactory(product=product, image_url="http://img.example.org:8080/b.png?w=300")

    listed = api_client.get("/products/", HTTP_HOST=A)
    added = manager_client.post(
        f"/products/{product.slug}/images/", {"image_url": "https://example.net/c.webp"}, format="json", HTTP_HOST=B
    )
    single = api_client.get(f"/products/images/{external.id}/", HTTP_HOST=B)

    assert image_urls(listed.json()["results"][0]) == [external.image_url, other.image_url]
    assert added.status_code == 201
    assert image_urls(added.json()) == [external.image_url, other.image_url, "https://example.net/c.webp"]
    assert single.json()["image_url"] == "https://cdn.example.com/a.jpg"


def test_storage_that_gives_absolute_urls_is_left_alone(api_client, product, settings):
    # S3 (django-storages) builds the URL locally from AWS_S3_CUSTOM_DOMAIN: no request reaches a bucket.
    settings.AWS_STORAGE_BUCKET_NAME = "shop-media"
    settings.AWS_S3_CUSTOM_DOMAIN = "media.example.com"
    settings.AWS_QUERYSTRING_AUTH = False
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    image = ProductImage(product=product, is_primary=True)
    image.image.name = f"products/{product.id}/in-bucket.jpg"
    image.save()

    response = api_client.get(f"/products/{product.slug}/", HTTP_HOST=A)

    assert response.status_code == 200
    assert image_urls(response.json()) == [f"https://media.example.com/products/{product.id}/in-bucket.jpg"]


def test_an_absolute_media_url_is_left_alone(api_client, product, settings):
    settings.MEDIA_URL = "https://static.example.com/media/"
    image = ProductImage(product=product, is_primary=True)
    image.image.save("lamp.jpg", ContentFile(jpeg_bytes()), save=True)

    response = api_client.get(f"/products/images/{image.id}/", HTTP_HOST=A)

    assert response.status_code == 200
    assert response.json()["image_url"] == f"https://static.example.com/media/{image.image.name}"
