"""The honest ceiling: a minimal Django app with no middleware, no apps and no database, answering a static JSON
body of a given size. ``bench/catalog_ceiling.sh`` serves it with the same gunicorn settings (``gunicorn.conf.py``,
the same worker class, workers and threads) as the API it is compared with, so the ratio endpoint/ceiling is what
the project's own code (middleware, DRF, the cache lookup) costs on top of Django and the server.

    gunicorn -c gunicorn.conf.py bench.bare_app:application       # then GET /bare/6289/ -> 6,289 bytes of JSON

``GET /bare/<size>/`` answers ``{"pad": "xxx..."}`` of exactly ``size`` bytes (at least 11), built once per size
and kept, so the view itself costs a dictionary lookup: Django's request handling, URL resolution and the
server's HTTP work are all that is measured. Its own settings (``settings.configure`` below), never the
project's: ``DJANGO_SETTINGS_MODULE`` is ignored. Bench only: nothing in the project imports it.
"""

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-bare-app-has-no-secrets-to-keep-" + "x" * 20,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_I18N=False,
    LOGGING_CONFIG=None,
)

_EMPTY_BODY = b'{"pad":""}'  # 10 bytes; each byte of padding adds one
_bodies: dict[int, bytes] = {}
MAX_SIZE = 10_000_000


def _body(size: int) -> bytes:
    body = _bodies.get(size)
    if body is None:
        pad = max(size - len(_EMPTY_BODY), 0)
        body = _bodies[size] = b'{"pad":"' + b"x" * pad + b'"}'
    return body


def bare(request, size: int) -> HttpResponse:
    if size > MAX_SIZE:
        return HttpResponse(status=404)
    return HttpResponse(_body(size), content_type="application/json")


urlpatterns = [path("bare/<int:size>/", bare)]

django.setup(set_prefix=False)
application = get_wsgi_application()
