"""The development server `make run` uses (``manage.py runserver``): Django's, with two limits fixed.

Django's runserver starts one thread per client connection. Left as is it (1) keeps a database connection open in
every thread for as long as the client keeps its HTTP connection alive (persistent connections, ``CONN_MAX_AGE``),
so a burst of 50 browser tabs or load-test clients held 50 idle PostgreSQL connections and the next client got
"too many clients"; and (2) listens with a backlog of 10, so the 11th client connecting in the same instant is
dropped by the kernel ("connection reset by peer" or a stalled connect) instead of waiting its turn.
"""

import os

from django.core.servers.basehttp import WSGIServer
from django.db import connections

# Clients the kernel queues while every thread is busy starting, instead of refusing them. The kernel caps it at
# net.core.somaxconn (4096 on current Linux); 128 is Python's socketserver default for asyncio/socket.create_server.
DEV_SERVER_LISTEN_BACKLOG = 128


class DevServer(WSGIServer):
    """``WSGIServer`` with a listen backlog of 128 that releases each thread's database connections.

    runserver wraps it in ``socketserver.ThreadingMixIn`` (``django.core.servers.basehttp.run``), so
    ``close_request`` runs in the thread that served the client, once the client's HTTP connection is closed.
    """

    # Django's WSGIServer listens with request_queue_size = 10: 40 clients connecting at once overflow the accept
    # queue and the kernel drops the rest. A deeper queue makes a burst wait for a thread instead.
    request_queue_size = DEV_SERVER_LISTEN_BACKLOG

    def close_request(self, request):
        # Django's ThreadedWSGIServer (the test server) does this too; runserver's ad-hoc threaded class does not,
        # so a finished thread's connection stayed open until garbage collection.
        connections.close_all()
        super().close_request(request)


def release_connections_after_each_request() -> None:
    """Under the dev server, close the database connection at the end of every request (``CONN_MAX_AGE = 0``).

    runserver serves each client connection in its own thread, and a persistent database connection belongs to
    its thread: idle keep-alive clients would each hold one. A fresh connection per request costs about a
    millisecond against a local PostgreSQL, which a development server can afford. An explicit
    ``DB_CONN_MAX_AGE`` in the environment is respected. Must run before the server's first request.
    """
    if os.environ.get("DB_CONN_MAX_AGE", "").strip():
        return
    for alias in connections:  # the settings every thread's connection is created from
        connections.settings[alias]["CONN_MAX_AGE"] = 0
