"""The one HTTP client every live source uses: timeouts, retries with backoff, a client-side
rate limit and a persistent response cache.

Sources call :meth:`HttpClient.get_json` / :meth:`HttpClient.post_json`; those validate the
request, serve it from the cache when they can, and otherwise go through the rate limiter and
the retry loop in ``_query``. Every third-party exception is translated into
:class:`~litsynth.errors.SourceError` in one place, :func:`translate_transport_error`.
Header values (API keys) never reach a log line or the cache key.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from litsynth.errors import OfflineError, SourceError

if TYPE_CHECKING:
    from litsynth.config import Settings

log = logging.getLogger(__name__)

#: Statuses worth another try: rate limited, or the server's own failure.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: No single wait (Retry-After or backoff) is longer than this many seconds.
DEFAULT_MAX_WAIT = 30.0
CACHE_FILE = Path("cache") / "http.sqlite3"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: either delta-seconds or an HTTP date.
    ``None`` when absent or unreadable; never negative."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)


class TokenBucket:
    """Client-side rate limiter: at most ``rate`` requests per second, bursts of ``capacity``.

    ``clock`` and ``sleep`` are injectable so tests can check the spacing without waiting."""

    def __init__(
        self,
        rate: float,
        *,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited.
        Callers queue on the lock, so concurrent threads are spaced out too."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            # The token that accrued while sleeping is spent at once.
            self._tokens = 0.0
            self._stamp = now + wait
            return wait


class ResponseCache:
    """Successful JSON responses in SQLite, keyed by request (never by headers), with a TTL.

    One short-lived connection per call keeps it safe across the threads of ``search_all``.
    The cache is an optimisation: an unreadable or unwritable cache file is logged and
    treated as a miss, never as a failed search."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(sqlite3.connect(self.path, timeout=10)) as conn:
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS responses ("
                        "key TEXT PRIMARY KEY, stored_at REAL NOT NULL, body TEXT NOT NULL)"
                    )
                    conn.commit()
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)

    def get(self, key: str, ttl: float) -> Any | None:
        """The cached JSON for ``key`` if stored less than ``ttl`` seconds ago."""
        try:
            with closing(self._connect()) as conn:
                row = conn.execute(
                    "SELECT stored_at, body FROM responses WHERE key = ?", (key,)
                ).fetchone()
            if row is None or self._clock() - row[0] >= ttl:
                return None
            return json.loads(row[1])
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("response cache %s unreadable, ignoring it: %s", self.path, exc)
            return None

    def put(self, key: str, data: Any) -> None:
        """Store ``data`` (already parsed JSON) under ``key``."""
        try:
            with closing(self._connect()) as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO responses (key, stored_at, body) VALUES (?, ?, ?)",
                    (key, self._clock(), json.dumps(data, ensure_ascii=False)),
                )
                conn.commit()
        except (sqlite3.Error, OSError) as exc:
            log.warning("response cache %s unwritable, not caching: %s", self.path, exc)


def cache_key(method: str, url: str, params: Mapping[str, Any] | None, body: Any | None) -> str:
    """Method + URL + sorted params + body hash. Headers (and so API keys) are left out."""
    body_hash = (
        hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if body is not None
        else ""
    )
    items = sorted((str(k), str(v)) for k, v in (params or {}).items())
    raw = json.dumps([method.upper(), url, items, body_hash])
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class _Failure:
    """A failed attempt: the message for the user, whether to try again, and how long the
    server asked us to wait."""

    message: str
    retryable: bool
    retry_after: float | None = None


def _offline_cause(exc: BaseException) -> OfflineError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OfflineError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


#: Third-party exception -> (what the user reads, worth a retry). Order matters: subclasses
#: before their bases.
TRANSPORT_ERRORS: tuple[tuple[type[BaseException], str, bool], ...] = (
    (httpx.TimeoutException, "timed out", True),
    (httpx.ConnectError, "cannot connect", True),
    (httpx.RemoteProtocolError, "connection broken", True),
    (httpx.ReadError, "read failed", True),
    (httpx.WriteError, "write failed", True),
    (httpx.NetworkError, "network error", True),
    (httpx.ProxyError, "proxy error", False),
    (httpx.UnsupportedProtocol, "unsupported URL scheme", False),
    (httpx.DecodingError, "undecodable response body", False),
    (httpx.TooManyRedirects, "too many redirects", False),
    (httpx.InvalidURL, "invalid URL", False),
    (httpx.HTTPError, "HTTP error", False),
    (httpx.StreamError, "stream error", False),
    (OSError, "network error", True),
)


def translate_transport_error(exc: BaseException) -> _Failure:
    """The single boundary where httpx/socket exceptions become our failure description."""
    for kind, message, retryable in TRANSPORT_ERRORS:
        if isinstance(exc, kind):
            detail = str(exc).strip()
            said = f"{message} ({detail})" if detail and detail.lower() != message else message
            return _Failure(said, retryable)
    raise exc


class HttpClient:
    """JSON over HTTP for one live source (``source`` names it in errors and the rate limit).

    ``headers`` are sent on every request and treated as secret: never logged, never part of
    the cache key. ``sleep``/``clock``/``jitter`` are injectable for tests."""

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = DEFAULT_MAX_WAIT,
        rate_limit: float | None = None,
        cache: ResponseCache | None = None,
        cache_ttl: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.default_params = dict(params or {})
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.cache = cache
        self.cache_ttl = cache_ttl
        self._sleep = sleep
        self._jitter = jitter
        self._limiter = TokenBucket(rate_limit, clock=clock, sleep=sleep) if rate_limit else None
        self._http = httpx.Client(
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=True,
        )

    def __repr__(self) -> str:
        return f"HttpClient(source={self.source!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, query: str | None = None
    ) -> Any:
        """GET ``base_url + path`` and return the parsed JSON; ``query`` is the user's search,
        carried by any :class:`SourceError` raised."""
        return self.query("GET", path, params=params, query=query)

    def post_json(
        self,
        path: str,
        body: Any,
        params: Mapping[str, Any] | None = None,
        *,
        query: str | None = None,
    ) -> Any:
        """POST a JSON ``body`` and return the parsed JSON response."""
        return self.query("POST", path, params=params, body=body, query=query)

    def query(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any | None = None,
        query: str | None = None,
    ) -> Any:
        """Validate the request, answer from the cache when fresh, else fetch (with rate
        limit and retries) and cache a successful JSON answer. Raises ``SourceError``."""
        method = method.upper()
        if method not in {"GET", "POST"}:
            raise ValueError(f"unsupported HTTP method {method!r}")
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        url = self.base_url + path
        merged = {
            **self.default_params,
            **{k: v for k, v in (params or {}).items() if v is not None},
        }
        key = cache_key(method, url, merged, body)
        if self.cache is not None and self.cache_ttl > 0:
            cached = self.cache.get(key, self.cache_ttl)
            if cached is not None:
                log.debug("%s: cache hit %s %s", self.source, method, url)
                return cached
        data = self._query(method, url, merged, body, query)
        if self.cache is not None and self.cache_ttl > 0:
            self.cache.put(key, data)
        return data

    def _query(
        self, method: str, url: str, params: dict[str, Any], body: Any | None, query: str | None
    ) -> Any:
        tries = self.max_retries + 1
        failure = _Failure("no attempt made", False)
        for attempt in range(tries):
            if self._limiter is not None:
                self._limiter.acquire()
            log.debug("%s: %s %s params=%s (try %d)", self.source, method, url, params, attempt + 1)
            failure, data = self._attempt(method, url, params, body, query)
            if failure is None:
                return data
            if not failure.retryable or attempt == tries - 1:
                break
            wait = self._wait_before(attempt, failure.retry_after)
            log.info(
                "%s: %s; retrying in %.2fs (%d/%d)",
                self.source,
                failure.message,
                wait,
                attempt + 1,
                self.max_retries,
            )
            self._sleep(wait)
        suffix = f" after {tries} tries" if failure.retryable and tries > 1 else ""
        raise SourceError(self.source, failure.message + suffix, query=query)

    def _attempt(
        self, method: str, url: str, params: dict[str, Any], body: Any | None, query: str | None
    ) -> tuple[_Failure | None, Any]:
        try:
            response = self._http.request(method, url, params=params, json=body)
            content = response.content
        except Exception as exc:
            offline = _offline_cause(exc)
            if offline is not None:
                raise OfflineError(self.source, str(offline), query=query) from exc
            return translate_transport_error(exc), None
        if response.status_code in RETRY_STATUSES:
            return (
                _Failure(
                    f"HTTP {response.status_code}",
                    True,
                    parse_retry_after(response.headers.get("Retry-After")),
                ),
                None,
            )
        if response.status_code >= 400:
            return _Failure(_status_message(response.status_code, content), False), None
        try:
            return None, json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _Failure(f"invalid JSON in response ({exc})", False), None

    def _wait_before(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff, but never shorter than the server's Retry-After;
        both capped at ``max_wait``."""
        jittered = self._jitter() * self.backoff * (2**attempt)
        wait = max(jittered, retry_after or 0.0)
        return min(wait, self.max_wait)


def _status_message(status: int, content: bytes) -> str:
    text = content.decode("utf-8", "replace").strip().replace("\n", " ")
    if len(text) > 200:
        text = text[:200] + "…"
    hint = " (check the API key)" if status in (401, 403) else ""
    return f"HTTP {status}{hint}" + (f": {text}" if text else "")


def client_for(
    source: str,
    base_url: str,
    settings: Settings,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    cache: ResponseCache | None = None,
) -> HttpClient:
    """An :class:`HttpClient` configured from ``settings.sources`` for ``source``, caching in
    ``<home>/cache/http.sqlite3`` unless another ``cache`` is given."""
    conf = settings.sources
    return HttpClient(
        source,
        base_url,
        headers={k: v for k, v in (headers or {}).items() if v},
        params=params,
        timeout=conf.timeout,
        max_retries=conf.max_retries,
        backoff=conf.backoff,
        rate_limit=conf.rate_limit.get(source),
        cache=cache or ResponseCache(settings.home_path() / CACHE_FILE),
        cache_ttl=conf.cache_ttl,
    )
