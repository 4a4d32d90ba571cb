"""Migration operations of our own (imported by migrations: keep them small and their behaviour stable)."""

from django.db import migrations, transaction


class RunSQLOnPostgres(migrations.RunSQL):
    """``RunSQL`` that runs on PostgreSQL only, its statements in one transaction (a savepoint inside an atomic
    migration; its own transaction in a non-atomic one). The full-text search's trigger, configurations and GIN
    index have no SQLite twin (SQLite searches by icontains), so there the operation does nothing, either way."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            with transaction.atomic(using=schema_editor.connection.alias):
                super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            with transaction.atomic(using=schema_editor.connection.alias):
                super().database_backwards(app_label, schema_editor, from_state, to_state)
