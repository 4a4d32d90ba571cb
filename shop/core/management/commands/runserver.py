"""``manage.py runserver`` on :class:`shop.core.devserver.DevServer`, releasing database connections per request.

Found before Django's own command because ``shop.core`` sits above ``django.contrib.staticfiles`` in
``INSTALLED_APPS``; ``whitenoise.runserver_nostatic`` (above both) wraps this class in turn, so static files are
still served by whitenoise as in production.
"""

from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver

from shop.core.devserver import DevServer, release_connections_after_each_request


class Command(StaticfilesRunserver):
    help = StaticfilesRunserver.help + " Queues bursts of clients and holds no idle database connection."
    server_cls = DevServer

    def inner_run(self, *args, **options):
        # inner_run is what the autoreloader's child process runs: the process that serves requests.
        release_connections_after_each_request()
        super().inner_run(*args, **options)
