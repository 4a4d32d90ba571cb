"""The shared memo: an entry serves only the generation it was computed under, a write drops it at once and again
after commit, and the cache being down means computing."""

import pytest
from django.core.cache import cache
from django.db import transaction

from shop.core.memo import memo_invalidate, memoized_shared


class Source:
    """What a memo is computed from: a value, and how many times it was read."""

    def __init__(self, value):
        self.value, self.reads = value, 0

    def read(self):
        self.reads += 1
        return self.value


def test_an_entry_serves_until_its_family_is_written():
    source = Source("a")
    assert [memoized_shared("fam", "k", source.read) for _ in range(4)] == ["a"] * 4
    assert source.reads == 1

    source.value = "b"
    memo_invalidate("fam")
    assert [memoized_shared("fam", "k", source.read) for _ in range(3)] == ["b"] * 3
    assert source.reads == 2


def test_families_and_keys_are_apart():
    memoized_shared("one", "k", Source(1).read)
    memoized_shared("one", "other", Source(2).read)
    assert memoized_shared("one", "other", Source(3).read) == 2
    memo_invalidate("two")
    assert memoized_shared("one", "k", Source(9).read) == 1


def test_a_write_committed_while_a_reader_computes_never_leaves_the_readers_entry_in_use():
    source = Source("old")
    memoized_shared("fam", "k", source.read)
    memo_invalidate("fam")  # the next reader computes

    def read_then_written():
        value = source.read()  # the reader has the old rows...
        source.value = "new"  # ...a write commits and drops the memo...
        memo_invalidate("fam")
        return value

    assert memoized_shared("fam", "k", read_then_written) == "old"  # ...the reader stores what it read
    assert memoized_shared("fam", "k", source.read) == "new"  # and nobody is served it


@pytest.mark.django_db(transaction=True)
def test_what_a_reader_stores_before_the_writer_commits_is_dropped_at_commit():
    source = Source("old")
    memoized_shared("fam", "k", source.read)
    with transaction.atomic():
        source.value = "new, uncommitted"
        memo_invalidate("fam")
        source.value = "old"  # another connection still sees the committed rows, and stores them
        assert memoized_shared("fam", "k", source.read) == "old"
        source.value = "new"  # the commit
    assert memoized_shared("fam", "k", source.read) == "new"


def test_without_the_cache_every_read_computes(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    source = Source("a")
    for name in ("get_many", "add", "set", "incr"):
        monkeypatch.setattr(cache, name, down)
    assert [memoized_shared("fam", "k", source.read) for _ in range(3)] == ["a"] * 3
    assert source.reads == 3
    memo_invalidate("fam")  # and a write still succeeds
