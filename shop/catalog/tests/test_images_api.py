import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shop.catalog.models import ProductImage

from .factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


def add_url(slug):
    return f"/products/{slug}/images/"


def image_url(pk):
    return f"/products/images/{pk}/"


def png_file(name="photo.png", size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_add_by_url_returns_the_whole_product_and_the_first_image_is_primary(staff_client, product):
    response = staff_client.post(add_url(product.slug), {"image_url": "https://example.com/a.jpg"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == product.id and body["slug"] == product.slug
    image = ProductImage.objects.get(product=product)
    assert body["images"] == [
        {"id": image.id, "product": product.id, "image_url": "https://example.com/a.jpg", "is_primary": True}
    ]


def test_second_image_is_not_primary_unless_asked_and_then_takes_the_flag(staff_client, product):
    staff_client.post(add_url(product.slug), {"image_url": "https://example.com/1.jpg"}, format="json")
    second = staff_client.post(add_url(product.slug), {"image_url": "https://example.com/2.jpg"}, format="json")
    assert [i["is_primary"] for i in second.json()["images"]] == [True, False]

    third = staff_client.post(add_url(product.slug), {"image_url": "https://example.com/3.jpg", "is_primary": True},
                              format="json")

    images = third.json()["images"]
    assert [(i["image_url"], i["is_primary"]) for i in images] == [
        ("https://example.com/3.jpg", True), ("https://example.com/1.jpg", False), ("https://example.com/2.jpg", False),
    ]
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1


def test_patch_is_primary_moves_the_flag(staff_client, product):
    first = ProductImageFactory(product=product, is_primary=True)
    second = ProductImageFactory(product=product)

    response = staff_client.patch(image_url(second.id), {"is_primary": True}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": second.id, "product": product.id, "image_url": second.image_url,
                               "is_primary": True}
    first.refresh_from_db()
    assert first.is_primary is False


def test_put_needs_product_and_url_and_can_move_an_image(staff_client, product):
    image = ProductImageFactory(product=product, is_primary=True)
    other = ProductFactory()

    incomplete = staff_client.put(image_url(image.id), {"is_primary": True}, format="json")
    assert incomplete.status_code == 400
    assert set(incomplete.json()["errors"]) == {"product", "image_url"}

    moved = staff_client.put(image_url(image.id), {"product": other.id, "image_url": "https://example.com/m.jpg"},
                             format="json")
    assert moved.status_code == 200
    assert moved.json() == {"id": image.id, "product": other.id, "image_url": "https://example.com/m.jpg",
                            "is_primary": True}  # the only image of its new product


def test_get_image_is_public_but_hidden_with_an_inactive_product(api_client, manager_client, product):
    image = ProductImageFactory(product=product, is_primary=True)
    hidden = ProductImageFactory(product=ProductFactory(is_active=False))

    response = api_client.get(image_url(image.id))

    assert response.status_code == 200
    assert response.json() == {"id": image.id, "product": product.id, "image_url": image.image_url,
                               "is_primary": True}
    assert api_client.get(image_url(hidden.id)).status_code == 404
    assert manager_client.get(image_url(hidden.id)).status_code == 200


def test_deleting_the_primary_promotes_the_next_image(staff_client, product):
    primary = ProductImageFactory(product=product, is_primary=True)
    nxt = ProductImageFactory(product=product)

    response = staff_client.delete(image_url(primary.id))

    assert response.status_code == 204
    assert not ProductImage.objects.filter(pk=primary.pk).exists()
    nxt.refresh_from_db()
    assert nxt.is_primary is True


@pytest.mark.parametrize(
    "body",
    [{"image_url": "not-a-url"}, {"image_url": "ftp//x"}, {}, {"image_url": ""}],
)
def test_bad_or_missing_url_is_a_400(staff_client, product, body):
    response = staff_client.post(add_url(product.slug), body, format="json")

    assert response.status_code == 400
    assert "image_url" in response.json()["errors"]
    assert not ProductImage.objects.exists()


def test_upload_a_real_file_through_the_storage(staff_client, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = staff_client.post(add_url(product.slug), {"image": png_file()}, format="multipart")

    assert response.status_code == 201
    image = ProductImage.objects.get(product=product)
    assert image.image.name.startswith(f"products/{product.id}/")
    assert (tmp_path / image.image.name).exists()
    assert response.json()["images"][0]["image_url"] == f"http://testserver/media/{image.image.name}"
    assert response.json()["images"][0]["is_primary"] is True


def test_deleting_an_uploaded_image_removes_the_file(staff_client, product, settings, tmp_path, commit):
    settings.MEDIA_ROOT = tmp_path
    staff_client.post(add_url(product.slug), {"image": png_file()}, format="multipart")
    image = ProductImage.objects.get(product=product)
    stored = tmp_path / image.image.name

    with commit():
        assert staff_client.delete(image_url(image.id)).status_code == 204

    assert not stored.exists()


def test_oversized_upload_is_a_400(staff_client, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CATALOG_IMAGE_MAX_BYTES = 100

    response = staff_client.post(add_url(product.slug), {"image": png_file(size=(200, 200))}, format="multipart")

    assert response.status_code == 400
    assert "image" in response.json()["errors"]
    assert "limit" in response.json()["detail"]
    assert not ProductImage.objects.exists()


def test_a_file_that_is_not_an_image_is_a_400(staff_client, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")

    response = staff_client.post(add_url(product.slug), {"image": fake}, format="multipart")

    assert response.status_code == 400
    assert "image" in response.json()["errors"]


def test_url_and_file_together_are_refused(staff_client, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = staff_client.post(add_url(product.slug), {"image": png_file(), "image_url": "https://example.com/x.jpg"},
                                 format="multipart")

    assert response.status_code == 400
    message = "Send `image_url` or `image`, not both."
    assert response.json()["errors"] == {"image_url": [message], "image": [message]}
    assert not product.images.exists()


@pytest.mark.parametrize(("client_fixture", "expected"), [("api_client", 401), ("user_client", 403)])
def test_image_writes_need_permissions(request, product, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)
    image = ProductImageFactory(product=product, is_primary=True)

    assert client.post(add_url(product.slug), {"image_url": "https://example.com/a.jpg"},
                       format="json").status_code == expected
    assert client.patch(image_url(image.id), {"is_primary": False}, format="json").status_code == expected
    assert client.delete(image_url(image.id)).status_code == expected
    assert ProductImage.objects.filter(product=product).count() == 1


def test_manager_can_manage_images(manager_client, product):
    response = manager_client.post(add_url(product.slug), {"image_url": "https://example.com/a.jpg"}, format="json")

    assert response.status_code == 201
    assert len(response.json()["images"]) == 1


def test_adding_to_an_unknown_or_deleted_product_is_404(staff_client):
    deleted = ProductFactory(is_deleted=True)

    assert staff_client.post(add_url("nope"), {"image_url": "https://example.com/a.jpg"},
                             format="json").status_code == 404
    assert staff_client.post(add_url(deleted.slug), {"image_url": "https://example.com/a.jpg"},
                             format="json").status_code == 404
