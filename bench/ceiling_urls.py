"""Bench-only URLconf (``BENCH_CEILING=1``): the real API plus ``/bench/ceiling/``, the smallest Django JSON view,
served by the same gunicorn, settings and middleware. Its throughput is the framework's ceiling on this machine.
Never enabled in production: only the BENCH_CEILING environment variable switches ROOT_URLCONF here.
"""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as api_urlpatterns


def ceiling(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ceiling/", ceiling), *api_urlpatterns]
