"""The cache every process of one machine shares when there is no Redis (``REDIS_URL`` unset).

Why not Django's local-memory cache: it lives in one process. `make run` runs the web server beside the expiry and
webhook loops (separate processes), and gunicorn runs several workers: a stock move or a catalog write in one of
them bumped the catalog version (``shop.catalog.cache``) in that process's memory only, so the web server kept
answering its cached pages until their TTL (5 minutes), far past ``CATALOG_STOCK_MAX_LAG``; throttle counters were
per process too. Files in one directory are seen by every process of the machine at once.

Two differences from Django's :class:`~django.core.cache.backends.filebased.FileBasedCache`, both for the
counters the catalog cache keeps:

- ``incr`` keeps the entry's expiry and is atomic across processes (an exclusive lock on one lock file around
  read-add-write). Django's inherited ``incr`` is a ``get`` then a ``set`` with the default timeout: the catalog
  version, stored without expiry, would expire after 300 s, and a rate counter's window would stretch to 300 s.
- Culling (when ``MAX_ENTRIES`` is reached) removes expired entries first, then a share of the entries that expire
  anyway, never one stored without a timeout (the catalog version and stock-move counters: losing the stock-move
  count would lose a pending stock change until the pages' TTL). Django's removes a random share of all files.
  Django lists the directory on every write to know whether to cull (9 ms per write at 1,600 entries here); this
  looks every ``CULL_CHECK_EVERY`` writes of a process (``OPTIONS``, default 20), so ``MAX_ENTRIES`` is a soft
  bound, exceeded by at most that many writes per process.

Entries are pickles, as in Django's file cache: whoever can write to ``CACHE_DIR`` can run code in the app, so it
must be writable by the app's user only (the default, ``.cache/django`` in the project, is).

Measured on this project's machine (tests/test_cache_processes.py has the correctness side): a cached catalog read
0.64 ms (local memory: 0.23 ms), an ``incr`` 2.4 ms, nearly all of it the ``rename`` that makes a write atomic on
this disk. Fine for `make run` and a one-machine deployment; Redis for load (docs/SCALING.md).
"""

import os
import pickle
import random
import tempfile
import time
import zlib
from contextlib import contextmanager

from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks
from django.core.files.move import file_move_safe

LOCK_NAME = "incr.lock"


class SharedFileCache(FileBasedCache):
    """:class:`FileBasedCache` whose ``incr`` keeps the expiry and is atomic, and whose culling spares entries
    stored without a timeout (see the module docstring). ``LOCATION``: the directory, shared by the processes."""

    def __init__(self, dir, params):
        super().__init__(dir, params)
        options = params.get("OPTIONS", {})
        self._cull_check_every = max(1, int(options.get("CULL_CHECK_EVERY", params.get("CULL_CHECK_EVERY", 20))))
        self._writes = 0

    @contextmanager
    def _incr_lock(self):
        self._createdir()
        with open(os.path.join(self._dir, LOCK_NAME), "a+b") as handle:
            locks.lock(handle, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(handle)

    def _read(self, fname: str):
        """``(expiry, value)`` of a live entry's file, or None when missing, empty or expired."""
        try:
            with open(fname, "rb") as f:
                expiry = pickle.load(f)  # noqa: S301 - our own files, as Django's file cache reads them
                if expiry is not None and expiry < time.time():
                    return None
                return expiry, pickle.loads(zlib.decompress(f.read()))  # noqa: S301
        except (FileNotFoundError, EOFError):
            return None

    def incr(self, key, delta=1, version=None):
        """Add ``delta`` to an existing number, keeping its expiry; ``ValueError`` when the key is missing (as every
        Django backend). Serialised across processes by the lock file, so no increment is lost."""
        fname = self._key_to_file(key, version)
        with self._incr_lock():
            found = self._read(fname)
            if found is None:
                raise ValueError(f"Key '{key}' not found")
            expiry, value = found
            value += delta
            fd, tmp_path = tempfile.mkstemp(dir=self._dir)
            renamed = False
            try:
                with open(fd, "wb") as f:
                    f.write(pickle.dumps(expiry, self.pickle_protocol))
                    f.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
                file_move_safe(tmp_path, fname, allow_overwrite=True)
                renamed = True
            finally:
                if not renamed:
                    os.remove(tmp_path)
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)

    def _cull(self):
        self._writes += 1
        if self._writes % self._cull_check_every:
            return
        filelist = self._list_cache_files()
        if len(filelist) < self._max_entries:
            return
        now, volatile, left = time.time(), [], 0
        for fname in filelist:
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)  # noqa: S301 - our own files
            except (FileNotFoundError, EOFError, pickle.UnpicklingError):
                self._delete(fname)
                continue
            if expiry is not None and expiry < now:
                self._delete(fname)
                continue
            left += 1
            if expiry is not None:
                volatile.append(fname)
        if left < self._max_entries:
            return
        share = len(volatile) if self._cull_frequency == 0 else int(left / self._cull_frequency)
        for fname in random.sample(volatile, min(share, len(volatile))):
            self._delete(fname)
