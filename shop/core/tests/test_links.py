import pytest

from shop.core.links import absolute_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/media/products/50/sleeping-bag-main.jpg", "https://shop.example/media/products/50/sleeping-bag-main.jpg"),
        ("media/products/50/a.jpg", "https://shop.example/media/products/50/a.jpg"),  # a path without its slash
        ("https://bucket.s3.amazonaws.com/products/50/a.jpg", "https://bucket.s3.amazonaws.com/products/50/a.jpg"),
        ("http://cdn.example.com:8080/a.jpg?w=300", "http://cdn.example.com:8080/a.jpg?w=300"),
        ("//cdn.example.com/a.jpg", "//cdn.example.com/a.jpg"),  # scheme-relative: a browser already follows it
        ("", ""),  # no image
    ],
)
def test_absolute_url_prefixes_paths_only(url, expected):
    assert absolute_url(url, "https://shop.example/") == expected
