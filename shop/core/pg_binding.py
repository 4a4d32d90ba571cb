"""PostgreSQL statements bound and prepared on the server, with a way out for statements too large to bind there.

Django's PostgreSQL backend binds parameters on the client by default (psycopg's ``ClientCursor``): it quotes every
value into the SQL text, and PostgreSQL parses and plans each statement anew. With ``server_side_binding`` the
values travel apart (the extended query protocol), and with psycopg's ``prepare_threshold`` a statement that runs
again on a connection is prepared once and then only executed. For the API's short statements planning is most of
the database's work (bench/README.md section 18).

The protocol has one limit the client side never had: a Bind message counts its parameters in an Int16, so one
statement can carry at most 65,535 of them (PostgreSQL docs, "Message Formats", Bind). Django does not batch its
own statements under it on PostgreSQL (a cascading delete's ``IN`` list, ``bulk_create``, ``in_bulk``), so a
voucher with 70,000 codes could not be deleted. :class:`ServerBindingCursor` sends such a statement the way the
client-side default would, as one SQL text with its values quoted in by psycopg (``ClientCursor.mogrify``, the same
adapter Django's default uses), and never prepares it. Every other statement is bound on the server.

Written here rather than taken from a library: neither psycopg nor Django offers a fallback; this is a subclass
of Django's own server-binding cursor that changes only ``execute`` for over-long parameter lists.
"""

from typing import Any

from django.db.backends.postgresql.base import ServerBindingCursor as DjangoServerBindingCursor
from psycopg import ClientCursor

# The protocol's limit (Bind's parameter count is an Int16): PostgreSQL docs, "Frontend/Backend Protocol",
# "Message Formats". psycopg raises OperationalError "number of parameters must be between 0 and 65535" above it.
MAX_BOUND_PARAMETERS = 65_535


class ServerBindingCursor(DjangoServerBindingCursor):
    """Django's server-binding cursor (psycopg 3 ``Cursor``), except that a statement with more than
    ``MAX_BOUND_PARAMETERS`` parameters is sent with its values quoted into the text (client-side binding) and is
    not prepared. Used as ``OPTIONS["cursor_factory"]`` with ``server_side_binding`` (config/settings/base.py)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        """Run ``query`` with ``params`` (a sequence or a mapping, as psycopg takes them); answers the cursor."""
        if params is not None and len(params) > MAX_BOUND_PARAMETERS:
            text = ClientCursor(self.connection).mogrify(query, params)
            return super().execute(text, None, prepare=False)
        return super().execute(query, params, **kwargs)
