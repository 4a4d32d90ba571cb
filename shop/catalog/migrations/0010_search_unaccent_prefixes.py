# Product search ignores accents and matches a partly typed word against the words as written (PostgreSQL only;
# SQLite searches by icontains and has nothing to change).
#
# Two text search configurations, each the built-in one with the unaccent dictionary in front of it for the token
# types that can hold a non-ASCII letter (the PostgreSQL manual's own recipe, "F.48. unaccent"):
#   catalog_english  unaccent, then the English stemmer and stop words: whole words ("lamps" finds lamp)
#   catalog_simple   unaccent, then lower case only: the words as written, stop words kept, for prefixes
#                    ("runn" finds running, whose stem is "run"; "a" finds "adjustable")
# The trigger (still the vector's one writer) puts both sets of lexemes in ``search_vector``, each with its field's
# weight (name A, description B), so one GIN index serves both kinds of term and the rank keeps name over
# description. bench/README.md, "Search: accents and partly typed words", has the measurements behind this choice.
#
# Not atomic, so that a live shop keeps selling while it runs: the configurations and the trigger change in one
# transaction, then every row's vector is rebuilt (an UPDATE fires the trigger) in batches of ids, each its own
# transaction, so a checkout's stock UPDATE waits for one batch at most. Measured on 100,000 products (2 cores):
# one UPDATE of the table held every row lock ~35 s, so a stock UPDATE waited past DB_LOCK_TIMEOUT_MS (5 s), and
# dropping the index around it would have blocked reads too; in batches of 1,000 the slowest stock UPDATE beside
# it waited 0.3 s and the rebuild took ~40 s. Last, the index is rebuilt CONCURRENTLY: compact again after
# 100,000 updates, without blocking reads or writes. Until its batch comes, a row is found as before the change.
#
# Backwards restores 0002's English-only trigger and drops the configurations (one transaction), then rebuilds the
# vectors the same way. The unaccent extension stays: it is trusted, holds nothing of ours, and something else may
# have come to use it.

from django.db import migrations, transaction

from shop.core.migration_operations import RunSQLOnPostgres

_TRIGGER_FUNCTION = """
    CREATE OR REPLACE FUNCTION catalog_product_search_vector_update() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector := {body};
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
"""
_BOTH_SETS = """
            setweight(to_tsvector('catalog_english', coalesce(NEW.name, ''))
                      || to_tsvector('catalog_simple', coalesce(NEW.name, '')), 'A') ||
            setweight(to_tsvector('catalog_english', coalesce(NEW.description, ''))
                      || to_tsvector('catalog_simple', coalesce(NEW.description, '')), 'B')"""
_ENGLISH_ONLY = """
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
            setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B')"""
_CONFIGURATIONS = ("catalog_english", "catalog_simple")
BATCH = 1000  # ids per transaction of the rebuild: a checkout waits for one batch at most (~0.3 s)

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent;",
    *(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name};" for name in _CONFIGURATIONS),
    "CREATE TEXT SEARCH CONFIGURATION catalog_english (COPY = english);",
    "ALTER TEXT SEARCH CONFIGURATION catalog_english ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, english_stem;",
    "CREATE TEXT SEARCH CONFIGURATION catalog_simple (COPY = simple);",
    "ALTER TEXT SEARCH CONFIGURATION catalog_simple ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;",
    _TRIGGER_FUNCTION.format(body=_BOTH_SETS),
]
BACKWARD = [
    _TRIGGER_FUNCTION.format(body=_ENGLISH_ONLY),
    *(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name};" for name in _CONFIGURATIONS),
]


def rebuild_vectors(apps, schema_editor):
    """Every product's vector computed again by the trigger now in place, ``BATCH`` ids per transaction, then the
    GIN index rebuilt without locking the table."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM catalog_product")
        low, high = cursor.fetchone()
        for start in range(low or 0, (high or -1) + 1, BATCH):
            with transaction.atomic(using=connection.alias):
                cursor.execute("UPDATE catalog_product SET search_vector = NULL WHERE id >= %s AND id < %s",
                               [start, start + BATCH])
        cursor.execute("REINDEX INDEX CONCURRENTLY catalog_product_search_gin")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0009_money_three_decimals"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, rebuild_vectors),  # backwards: after 0002's trigger is back
        RunSQLOnPostgres(FORWARD, BACKWARD),
        migrations.RunPython(rebuild_vectors, migrations.RunPython.noop),
    ]
