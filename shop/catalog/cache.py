"""The public catalog read cache: versioned keys, ETag/Last-Modified, conditional requests.

Design: one catalog *version* counter in the cache. Every catalog write bumps it after commit
(:func:`catalog_invalidate`), and every cached response key contains the version read *before* the database
was queried, so a response can never be stored under a version newer than the data it shows: stale data after a
write is impossible, whatever the interleaving. Old entries are never deleted; they simply stop being read and
expire after ``CATALOG_CACHE_TTL``.

Only public responses (anonymous users and customers, who all see the same catalog) are cached; staff may see
inactive products and bypass it. The cache is an optimisation: any cache failure means "compute it".

Sale prices (``shop.catalog.hooks``) change at a sale's start and end with no write to bump the version, so an
entry is kept no longer than the next such boundary (its timeout), and its ``Last-Modified`` is never earlier than
the last boundary passed: a page switches to or from its sale price at that moment, and a client's
``If-Modified-Since`` from before it is not answered 304.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.http import HttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer

from . import hooks

logger = logging.getLogger(__name__)

T = TypeVar("T")

VERSION_KEY = "catalog:version"
# Whole seconds (an int, so Redis and the Lua lookup below read it as a plain number): Last-Modified of the version.
VERSION_AT_KEY = "catalog:version_ts"
# Stock moves (checkouts, cancellations, expiries) are counted here and folded into the version at most once per
# CATALOG_STOCK_MAX_LAG seconds, by the next read (see _fold_stock); FOLDED_* remember the last fold.
STOCK_KEY = "catalog:stock_moves"
FOLDED_KEY = "catalog:stock_folded"
FOLDED_AT_KEY = "catalog:stock_folded_ms"


def _ttl() -> int:
    return getattr(settings, "CATALOG_CACHE_TTL", 300)


def _stock_lag() -> int:
    return getattr(settings, "CATALOG_STOCK_MAX_LAG", 0)


def catalog_invalidate(*, product_ids: tuple[int, ...] = (), variant_ids: tuple[int, ...] = ()) -> None:
    """Drop every cached catalog response that could show these products or variants.

    A list page, a category page and a detail page can all show the same product, so any change moves the whole
    catalog to a new version (the ids are accepted for callers' clarity and future finer-grained keys).
    Call it after commit (``transaction.on_commit``), never before: a reader could otherwise cache the old rows.
    """
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (cold cache): start from the clock so old keys are never reused
            cache.set(VERSION_KEY, int(time.time() * 1000), timeout=None)
        # Last-Modified has whole-second precision: each version gets a timestamp at least one second after the
        # previous one, so a client's If-Modified-Since never matches a newer version written in the same second.
        previous = cache.get(VERSION_AT_KEY)
        now = int(time.time())
        cache.set(VERSION_AT_KEY, max(now, int(previous) + 1) if previous is not None else now, timeout=None)
    except Exception:  # the cache being down must never fail a write
        logger.warning("catalog cache invalidation failed", exc_info=True)


def catalog_stock_moved(*, product_ids: tuple[int, ...] = (), variant_ids: tuple[int, ...] = ()) -> None:
    """After a committed stock move: the stock shown by cached pages may lag by up to CATALOG_STOCK_MAX_LAG seconds.

    Every checkout moves stock. Moving the whole catalog to a new version on each one (what a content change
    does) meant that under a steady stream of orders almost no catalog read was ever served from the cache
    (bench/README.md, "Full purchase flow"). The stock a page shows is advisory (checkout re-checks it under a row
    lock and never oversells), so stock moves are only counted here, and the next read folds them into a new
    version once the last fold is at least CATALOG_STOCK_MAX_LAG seconds old. With a lag of 0 every move
    invalidates at once, as content changes do.
    """
    if _stock_lag() <= 0:
        catalog_invalidate(product_ids=product_ids, variant_ids=variant_ids)
        return
    try:
        try:
            cache.incr(STOCK_KEY)
        except ValueError:  # first move since the cache started
            if not cache.add(STOCK_KEY, 1, timeout=None):
                cache.incr(STOCK_KEY)
    except Exception:
        logger.warning("catalog stock-move count failed", exc_info=True)


def _fold_stock(values: dict, now_ms: int) -> tuple[int, int] | None:
    """The portable twin of the fold in _LOOKUP_LUA (not atomic: two readers may both fold, which only costs
    one extra version). Returns the new (version, version_at), or None when nothing is due."""
    moves, folded = values.get(STOCK_KEY), values.get(FOLDED_KEY)
    if moves is None or str(moves) == str(folded):
        return None
    if now_ms - int(values.get(FOLDED_AT_KEY) or 0) < _stock_lag() * 1000:
        return None
    version = cache.incr(VERSION_KEY)
    version_at = max(now_ms // 1000, int(values[VERSION_AT_KEY]) + 1)
    cache.set_many({VERSION_AT_KEY: version_at, FOLDED_KEY: int(moves), FOLDED_AT_KEY: now_ms}, timeout=None)
    return version, version_at


def _current_version() -> tuple[int, float] | None:
    keys = [VERSION_KEY, VERSION_AT_KEY, STOCK_KEY, FOLDED_KEY, FOLDED_AT_KEY]
    try:
        values = cache.get_many(keys)
        version, version_at = values.get(VERSION_KEY), values.get(VERSION_AT_KEY)
        if version is None or version_at is None:
            version, version_at = int(time.time() * 1000), int(time.time())
            # add() keeps a concurrently created version rather than overwriting it.
            cache.add(VERSION_KEY, version, timeout=None)
            cache.add(VERSION_AT_KEY, version_at, timeout=None)
            values = cache.get_many(keys)
            version, version_at = values.get(VERSION_KEY), values.get(VERSION_AT_KEY)
            if version is None or version_at is None:
                return None
        folded = _fold_stock(values, int(time.time() * 1000))
        if folded is not None:
            version, version_at = folded
        return int(version), float(version_at)
    except Exception:
        logger.warning("catalog cache unavailable; answering uncached", exc_info=True)
        return None


def normalized_query(request) -> str:
    """The query string with parameters sorted, so ``?a=1&b=2`` and ``?b=2&a=1`` share one entry; a search also
    names ``CATALOG_SEARCH_PREFIX``, which decides what it finds (:func:`search_mode_suffix`)."""
    items = sorted((key, value) for key in request.GET for value in request.GET.getlist(key))
    items.extend(search_mode_suffix(request.GET))
    # Re-encoded, so a value holding "&" or "=" (``?a=x%26b%3Dy``) can never share a key with ``?a=x&b=y``.
    return urlencode(items)


# Which products the same search words find, as a revision of the matching rules (``selectors.product_search``
# and the vector its migrations build). Move it with every change to what a search matches, so that a deploy
# never answers a search from a page or count cached under the old rules (both keep for CATALOG_CACHE_TTL, and
# the deploy moves no catalog version). 2: accents ignored, prefixes matched as written (catalog migration 0010).
SEARCH_RULES = "2"


def search_mode_suffix(params) -> list[tuple[str, str]]:
    """For a request with ``search``: what decides which products it finds, so a changed
    ``CATALOG_SEARCH_PREFIX`` (a restart) or new matching rules (a deploy, :data:`SEARCH_RULES`) never answer
    from a cached page or count of the other. Appended after the sorted parameters with the live values: whatever
    a query adds, a key names the mode and rules its body was built with."""
    if "search" not in params:
        return []
    return [("~search_prefix", settings.CATALOG_SEARCH_PREFIX), ("~search_rules", SEARCH_RULES)]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _entry_name(version: int | str, scope: str, request) -> str:
    """The cache key of one response: catalog version, scope, and a hash of scheme + host + path + normalized query.

    A body holds absolute links built from the request's own origin (pagination ``next``/``previous``, image URLs
    of uploaded files when ``PUBLIC_BASE_URL`` is unset), so each origin has its own entry: ``https://a.test`` is
    never answered with ``http://b.test``'s links. The hosts are the few of ``ALLOWED_HOSTS``, so this costs a few
    extra entries and nothing per hit. The other way, storing relative URLs and absolutizing them on the way out,
    costs a JSON parse, rewrite and render on every hit: measured at 0.13 ms for a 10-product page (11 kB) and
    1.6 ms for a 100-product page (114 kB), against ~0.6 ms for a whole cached read (docs/SCALING.md).
    """
    origin = f"{request.scheme}://{request.get_host()}"
    return f"catalog:{version}:{scope}:{_digest(f'{origin}{request.path}?{normalized_query(request)}')}"


def _not_modified(request, etag: str, last_modified: float) -> bool:
    # META, not request.headers: the latter builds a mapping of every header on first use, on every hit.
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:  # RFC 9110: when If-None-Match is present, If-Modified-Since is ignored
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if since is None:
        return False
    since_seconds = parse_http_date_safe(since)
    return since_seconds is not None and int(last_modified) <= since_seconds


def _respond(request, body: bytes, etag: str, last_modified: float, *, cache_state: str) -> HttpResponse:
    status = 304 if _not_modified(request, etag, last_modified) else 200
    response = HttpResponse(b"" if status == 304 else body, status=status, content_type="application/json")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    response["Vary"] = "Accept, Authorization, Cookie"
    response["X-Cache"] = cache_state
    return response


# --- Read rate limit counted in the same round trip ---------------------------------------------------------


@dataclass(frozen=True)
class RateWindow:
    """One client's fixed-window request counter (see ``shop.catalog.api.throttling``)."""

    key: str
    limit: int
    timeout: int
    wait: float


def rate_count(window: RateWindow) -> int | None:
    """Count one request in the window; None when the cache cannot say (then the request is allowed)."""
    try:
        try:
            return cache.incr(window.key)
        except ValueError:  # first request of the window
            return 1 if cache.add(window.key, 1, timeout=window.timeout) else cache.incr(window.key)
    except Exception:
        return None


def _check_rate(window: RateWindow | None, count: int | None) -> None:
    if window is not None and count is not None and count > window.limit:
        raise Throttled(wait=window.wait)


def deferred_rate_window(request) -> RateWindow | None:
    return getattr(request, "catalog_rate_window", None)


def enforce_deferred_rate(request) -> None:
    """For reads that do not reach the cached path (staff): count the deferred window the ordinary way."""
    window = deferred_rate_window(request)
    if window is not None:
        _check_rate(window, rate_count(window))


# --- Lookup ---------------------------------------------------------------------------------------------------

# One round trip on Redis for a public read: the client's rate counter, the version (folding pending stock moves
# into a new one when the last fold is old enough: see catalog_stock_moved), its timestamp and the entry stored
# under that version. KEYS: version, version_ts, rate counter (or ''), stock moves, folded, folded_ms.
# ARGV: entry key head, entry key tail, rate window seconds, now (milliseconds), stock lag (milliseconds).
_LOOKUP_LUA = """
local count = false
if KEYS[3] ~= '' then
  count = redis.call('INCR', KEYS[3])
  if count == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
end
local version = redis.call('GET', KEYS[1])
local version_at = redis.call('GET', KEYS[2])
if not version or not version_at then return {false, false, false, count} end
local moves = redis.call('GET', KEYS[4])
if moves and moves ~= redis.call('GET', KEYS[5]) then
  local now_ms = tonumber(ARGV[4])
  if now_ms - tonumber(redis.call('GET', KEYS[6]) or '0') >= tonumber(ARGV[5]) then
    version = redis.call('INCR', KEYS[1])
    version_at = math.max(math.floor(now_ms / 1000), tonumber(version_at) + 1)
    redis.call('SET', KEYS[2], string.format('%d', version_at))
    redis.call('SET', KEYS[5], moves)
    redis.call('SET', KEYS[6], string.format('%d', now_ms))
  end
end
return {version, version_at, redis.call('GET', ARGV[1] .. version .. ARGV[2]), count}
"""
_VERSION_MARK = "{catalog-version}"
_lua_scripts: dict[int, object] = {}


@dataclass
class _Found:
    version: int | None = None
    version_at: float | None = None
    entry: tuple | None = None
    count: int | None = None
    counted: bool = False


# The lookup's fixed keys as the backend spells them, per backend (override_settings(CACHES=...) makes a new one).
_fixed_keys: dict[int, tuple[object, tuple[str, str, str, str, str]]] = {}


def _fixed_keys_of(backend) -> tuple[str, str, str, str, str]:
    known = _fixed_keys.get(id(backend))
    if known is None or known[0] is not backend:
        names = (VERSION_KEY, VERSION_AT_KEY, STOCK_KEY, FOLDED_KEY, FOLDED_AT_KEY)
        spelled = tuple(str(backend.make_key(name)) for name in names)
        known = _fixed_keys[id(backend)] = (backend, spelled)  # type: ignore[assignment]
    return known[1]


def _redis_lookup(scope: str, request, window: RateWindow | None) -> _Found | None:
    """The fast path on django-redis; None when it does not apply (then the portable path runs)."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # once: each attribute read through the `cache` proxy costs a lookup
    client = getattr(backend, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    template = str(backend.make_key(_entry_name(_VERSION_MARK, scope, request)))
    if template.count(_VERSION_MARK) != 1:  # a custom KEY_FUNCTION that hashes keys: use the portable path
        return None
    head, tail = template.split(_VERSION_MARK)
    redis = client.get_client(write=False)
    script = _lua_scripts.get(id(redis))
    if script is None:
        script = _lua_scripts[id(redis)] = redis.register_script(_LOOKUP_LUA)
    version_key, version_at_key, stock_key, folded_key, folded_at_key = _fixed_keys_of(backend)
    keys = [version_key, version_at_key, str(backend.make_key(window.key)) if window else "", stock_key, folded_key,
            folded_at_key]
    args = [head, tail, window.timeout if window else 0, int(time.time() * 1000), _stock_lag() * 1000]
    version, version_at, entry, count = script(keys=keys, args=args, client=redis)
    found = _Found(count=count, counted=True)
    if version is not None and version_at is not None:
        found.version, found.version_at = int(version), float(version_at)
        found.entry = client.decode(entry) if entry is not None else None
    return found


def _lookup(scope: str, request, window: RateWindow | None) -> _Found:
    found = None
    try:
        found = _redis_lookup(scope, request, window)
    except Exception:
        logger.warning("catalog cache fast lookup failed; trying the portable path", exc_info=True)
    if found is None:
        found = _Found()
    if not found.counted and window is not None:
        found.count, found.counted = rate_count(window), True
    if found.version is None:
        current = _current_version()
        if current is None:
            return found
        found.version, found.version_at = current
        try:
            found.entry = cache.get(_entry_name(found.version, scope, request))
        except Exception:
            found.entry = None
    return found


def public_cache_hit(request, *, scope: str, window: RateWindow | None) -> HttpResponse | None:
    """The cached answer to a public read (200 or 304), or None: not cached, the client over its rate in
    ``window``, or the cache unavailable. For the views' fast path (``shop.catalog.api.cached_reads``).

    One cache round trip counts the request in ``window`` and finds the entry. The lookup is kept on the request,
    so when the caller goes on to the full view with None, :func:`cached_public_response` re-uses it instead of
    counting the request a second time (and the full view answers 429 or builds the page).
    """
    found = _lookup(scope, request, window)
    request.catalog_lookup = (scope, window.key if window else None, found)
    if found.entry is None or (window is not None and found.count is not None and found.count > window.limit):
        return None
    body, etag, *dated = found.entry
    return _respond(request, body, etag, dated[0] if dated else found.version_at, cache_state="HIT")


def cached_public_response(request, *, scope: str, build: Callable[[], dict | list]) -> HttpResponse:
    """Serve ``build()``'s JSON from the cache, filling it on a miss; answer 304 to a matching conditional request.

    ``build`` may raise (404, 400): errors are never cached. A read rate window deferred by the catalog throttle
    is counted in the same cache round trip and enforced here, unless :func:`public_cache_hit` already looked
    this request up (and counted it).
    """
    window = deferred_rate_window(request)
    earlier = getattr(request, "catalog_lookup", None)
    if earlier is not None and earlier[:2] == (scope, window.key if window else None):
        found = earlier[2]
    else:
        found = _lookup(scope, request, window)
    _check_rate(window, found.count)
    request.catalog_version = found.version  # what build() may memoize under (see memoized())
    if found.version is None:
        body = JSONRenderer().render(build())
        etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
        return _respond(request, body, etag, time.time(), cache_state="BYPASS")
    if found.entry is not None:
        body, etag, *dated = found.entry
        return _respond(request, body, etag, dated[0] if dated else found.version_at, cache_state="HIT")
    # The sale-price window is read before build(): if a boundary passes while it runs, the answer is not kept.
    sale_prices, last_switch, next_switch = _sale_snapshot(found.version)
    request.catalog_sale_prices = sale_prices  # what build()'s answer shows (output_context)
    body = JSONRenderer().render(build())
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    last_modified = max(found.version_at, last_switch.timestamp()) if last_switch else found.version_at
    timeout = _ttl() if next_switch is None else min(_ttl(), int(next_switch.timestamp() - time.time()))
    if timeout > 0:
        try:
            cache.set(_entry_name(found.version, scope, request), (body, etag, last_modified), timeout=timeout)
        except Exception:
            logger.warning("catalog cache write failed", exc_info=True)
    return _respond(request, body, etag, last_modified, cache_state="MISS")


def _sale_snapshot(version: int) -> tuple[hooks.SalePrices, datetime | None, datetime | None]:
    """``hooks.sale_snapshot(now)``, kept under the catalog version until its next sale boundary.

    Every uncached page read the promotions twice (their boundaries, then the live ones): 2 of an uncached list
    page's 5 queries. Between two boundaries the live promotions change only by a write, and every promotion
    write moves the catalog version, so one snapshot serves every page of the version until ``next``.
    """
    now = datetime.now(tz=UTC)
    key = f"catalog:{version}:sales"
    try:
        kept = cache.get(key)
    except Exception:
        kept = None
    if kept is not None and (kept[2] is None or now < kept[2]):
        return kept
    snapshot = hooks.sale_snapshot(now)
    timeout = _ttl() if snapshot[2] is None else min(_ttl(), int((snapshot[2] - now).total_seconds()))
    if timeout > 0:
        try:
            cache.set(key, snapshot, timeout=timeout)
        except Exception:
            logger.warning("catalog cache write failed", exc_info=True)
    return snapshot


def _memo_key(request, name: str) -> str | None:
    version = getattr(request, "catalog_version", None)
    if version is None:
        return None
    return f"catalog:{version}:memo:{_digest(f'{request.get_host()}{request.path}?{name}')}"


def memo_get(request, name: str):
    """The value :func:`memoized` keeps under ``name`` for the version this public read answers for, or None
    (not kept yet, a staff read, or the cache unreachable). One cache round trip at most."""
    key = _memo_key(request, name)
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:
        return None


def memo_set(request, name: str, value) -> None:
    """Keep ``value`` under ``name`` for the version this public read answers for (nothing for staff reads)."""
    key = _memo_key(request, name)
    if key is None:
        return
    try:
        cache.set(key, value, timeout=_ttl())
    except Exception:
        logger.warning("catalog cache write failed", exc_info=True)


def memoized(request, name: str, compute: Callable[[], T]) -> T:
    """A value derived from the public catalog (a filter's total count), memoized under the version that the
    current public read answers for; computed afresh for staff reads or when the cache cannot help.

    The response cache already keys each page by version, but every page of one filter re-counted the same rows:
    on 100,000 products that COUNT was the costliest query of an uncached page (bench/README.md, "Profiling").
    Keyed by the version like the responses, so a memoized value can never outlive a catalog write.
    """
    value = memo_get(request, name)
    if value is None:
        value = compute()
        memo_set(request, name, value)
    return value


def version_timestamp() -> datetime | None:
    current = _current_version()
    return datetime.fromtimestamp(current[1], tz=UTC) if current else None
