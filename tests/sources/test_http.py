"""HttpClient: retries, backoff, Retry-After, timeouts, bad JSON, caching, rate limit,
error translation, secret headers."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from manual_clock import ManualClock
from pytest_httpserver import HTTPServer
from scholarly_fakes import FakeApi

from litsynth.errors import SourceError
from litsynth.sources.http import (
    TRANSPORT_ERRORS,
    HttpClient,
    ResponseCache,
    TokenBucket,
    cache_key,
    parse_retry_after,
)

PATH = "/api/thing"


def client_for(server: HTTPServer, clock: ManualClock, **kwargs: object) -> HttpClient:
    options: dict[str, object] = {
        "max_retries": 2,
        "backoff": 0.01,
        "sleep": clock.sleep,
        "clock": clock,
        "jitter": lambda: 1.0,
    }
    options.update(kwargs)
    return HttpClient("s2", server.url_for("/").rstrip("/"), **options)  # type: ignore[arg-type]


def test_json_round_trip_with_unicode_and_long_fields(httpserver: HTTPServer, clock) -> None:
    payload = {"title": "β-amyloid — 日本語 ✓", "abstract": "x" * 200_000}
    httpserver.expect_request(PATH, query_string={"q": "ünïcode"}).respond_with_json(payload)
    assert client_for(httpserver, clock).get_json(PATH, {"q": "ünïcode"}) == payload


def test_429_retry_waits_what_retry_after_says(httpserver: HTTPServer, clock) -> None:
    fake = FakeApi(httpserver)
    fake.fail(PATH, 429, headers={"Retry-After": "0.25"})
    httpserver.expect_request(PATH).respond_with_json({"ok": True})
    client = client_for(httpserver, clock, jitter=lambda: 0.0)
    assert client.get_json(PATH) == {"ok": True}
    assert len(fake.requests(PATH)) == 2
    assert clock.sleeps == [0.25]


def test_retry_after_is_capped(httpserver: HTTPServer, clock) -> None:
    FakeApi(httpserver).fail(PATH, 503, headers={"Retry-After": "3600"})
    httpserver.expect_request(PATH).respond_with_json([])
    client_for(httpserver, clock, max_wait=2.0).get_json(PATH)
    assert clock.sleeps == [2.0]


def test_server_errors_exhaust_retries_with_exponential_backoff(
    httpserver: HTTPServer, clock
) -> None:
    fake = FakeApi(httpserver)
    fake.fail_always(PATH, 500)
    with pytest.raises(SourceError) as caught:
        client_for(httpserver, clock, backoff=0.5).get_json(PATH, query="my question")
    assert str(caught.value) == "s2: HTTP 500 after 3 tries"
    assert caught.value.source == "s2"
    assert caught.value.query == "my question"
    assert len(fake.requests(PATH)) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_backoff_is_fully_jittered(httpserver: HTTPServer, clock) -> None:
    FakeApi(httpserver).fail_always(PATH, 502)
    draws = iter([0.25, 0.75])
    with pytest.raises(SourceError):
        client_for(httpserver, clock, backoff=1.0, jitter=lambda: next(draws)).get_json(PATH)
    assert clock.sleeps == [0.25 * 1.0, 0.75 * 2.0]


@pytest.mark.parametrize(
    ("status", "expected"), [(404, "HTTP 404: no such paper"), (401, "check the API key")]
)
def test_client_errors_are_not_retried(
    httpserver: HTTPServer, clock, status: int, expected: str
) -> None:
    fake = FakeApi(httpserver)
    fake.fail(PATH, status, body="no such paper")
    with pytest.raises(SourceError, match=expected):
        client_for(httpserver, clock).get_json(PATH)
    assert len(fake.requests(PATH)) == 1
    assert clock.sleeps == []


def test_slow_server_times_out_and_is_retried(httpserver: HTTPServer, clock) -> None:
    fake = FakeApi(httpserver)
    fake.slow(PATH, 0.3, {"late": True})
    with pytest.raises(SourceError, match=r"timed out") as caught:
        client_for(httpserver, clock, timeout=0.05, max_retries=1).get_json(PATH)
    assert str(caught.value).endswith("after 2 tries")
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("body", [b'{"data": [{"title": "cut', b"\xff\xfe not json", b""])
def test_invalid_json_is_a_source_error(httpserver: HTTPServer, clock, body: bytes) -> None:
    httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(SourceError, match="invalid JSON"):
        client_for(httpserver, clock).get_json(PATH)
    assert clock.sleeps == []


def test_refused_connection_is_retried_then_reported(clock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient("openalex", f"http://127.0.0.1:{port}", max_retries=1, sleep=clock.sleep)
    with pytest.raises(SourceError, match=r"openalex: cannot connect .*after 2 tries"):
        client.get_json("/works")


def _raising_transport(exc: BaseException, calls: list[int]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [(kind, retryable) for kind, _, retryable in TRANSPORT_ERRORS],
    ids=[kind.__name__ for kind, _, _ in TRANSPORT_ERRORS],
)
def test_every_transport_error_becomes_a_source_error(
    kind: type[BaseException], retryable: bool, clock
) -> None:
    calls: list[int] = []
    client = HttpClient(
        "web",
        "http://127.0.0.1:9",
        max_retries=2,
        sleep=clock.sleep,
        transport=_raising_transport(kind("boom"), calls),
    )
    with pytest.raises(SourceError, match=r"web: .*boom") as caught:
        client.get_json("/search")
    assert type(caught.value) is SourceError
    assert len(calls) == (3 if retryable else 1)


def test_a_bug_is_not_disguised_as_a_network_error(clock) -> None:
    client = HttpClient(
        "web",
        "http://127.0.0.1:9",
        sleep=clock.sleep,
        transport=_raising_transport(ZeroDivisionError("bug"), []),
    )
    with pytest.raises(ZeroDivisionError):
        client.get_json("/search")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None), (None, None), ("", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(90.0)
    past = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(past, now=now.timestamp()) == 0.0


# --- cache -------------------------------------------------------------------------------


def test_second_call_is_served_from_the_cache(httpserver: HTTPServer, clock, tmp_path) -> None:
    fake = FakeApi(httpserver)
    httpserver.expect_request(PATH).respond_with_json({"n": 1})
    cache = ResponseCache(tmp_path / "cache" / "http.sqlite3")
    first = client_for(httpserver, clock, cache=cache, cache_ttl=60)
    assert first.get_json(PATH, {"q": "a"}) == {"n": 1}
    # Another client (another process, another API key) reads the same entry.
    second = client_for(httpserver, clock, cache=cache, cache_ttl=60, headers={"x-api-key": "k2"})
    assert second.get_json(PATH, {"q": "a"}) == {"n": 1}
    assert len(fake.requests(PATH)) == 1
    second.get_json(PATH, {"q": "b"})
    assert len(fake.requests(PATH)) == 2


def test_cache_entries_expire_after_the_ttl(httpserver: HTTPServer, clock, tmp_path) -> None:
    fake = FakeApi(httpserver)
    httpserver.expect_request(PATH).respond_with_json({"n": 1})
    wall = ManualClock(start=1_700_000_000.0)
    cache = ResponseCache(tmp_path / "http.sqlite3", clock=wall)
    client = client_for(httpserver, clock, cache=cache, cache_ttl=100)
    client.get_json(PATH)
    wall.advance(99)
    client.get_json(PATH)
    assert len(fake.requests(PATH)) == 1
    wall.advance(2)
    client.get_json(PATH)
    assert len(fake.requests(PATH)) == 2


def test_failures_are_not_cached(httpserver: HTTPServer, clock, tmp_path) -> None:
    fake = FakeApi(httpserver)
    fake.fail(PATH, 400)
    httpserver.expect_request(PATH).respond_with_json({"n": 2})
    client = client_for(httpserver, clock, cache=ResponseCache(tmp_path / "c.db"), cache_ttl=60)
    with pytest.raises(SourceError):
        client.get_json(PATH)
    assert client.get_json(PATH) == {"n": 2}
    assert len(fake.requests(PATH)) == 2


def test_a_broken_cache_file_is_only_a_miss(httpserver: HTTPServer, clock, tmp_path) -> None:
    fake = FakeApi(httpserver)
    httpserver.expect_request(PATH).respond_with_json({"n": 3})
    broken = tmp_path / "http.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    client = client_for(httpserver, clock, cache=ResponseCache(broken), cache_ttl=60)
    assert client.get_json(PATH) == {"n": 3}
    assert client.get_json(PATH) == {"n": 3}
    assert len(fake.requests(PATH)) == 2


def test_cache_key_covers_method_url_params_and_body_not_order() -> None:
    base = cache_key("GET", "http://h/p", {"a": 1, "b": 2}, None)
    assert base == cache_key("get", "http://h/p", {"b": 2, "a": 1}, None)
    assert base != cache_key("POST", "http://h/p", {"a": 1, "b": 2}, None)
    assert base != cache_key("GET", "http://h/q", {"a": 1, "b": 2}, None)
    assert base != cache_key("GET", "http://h/p", {"a": 1, "b": 3}, None)
    with_body = cache_key("POST", "http://h/p", None, {"ids": ["x"]})
    assert with_body != cache_key("POST", "http://h/p", None, {"ids": ["y"]})


def test_secret_headers_are_sent_but_never_logged_or_stored(
    httpserver: HTTPServer, clock, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sekrit-key-123"
    fake = FakeApi(httpserver)
    fake.fail(PATH, 500)
    httpserver.expect_request(PATH, headers={"x-api-key": secret}).respond_with_json({"ok": 1})
    cache_file = tmp_path / "http.sqlite3"
    client = client_for(
        httpserver,
        clock,
        headers={"x-api-key": secret},
        cache=ResponseCache(cache_file),
        cache_ttl=60,
    )
    with caplog.at_level(logging.DEBUG):
        assert client.get_json(PATH, {"q": "x"}) == {"ok": 1}
    assert fake.requests(PATH)[-1].headers["x-api-key"] == secret
    assert caplog.records, "the client logs its requests"
    assert secret not in caplog.text
    assert secret not in repr(client)
    assert secret.encode() not in cache_file.read_bytes()


# --- rate limit --------------------------------------------------------------------------


def test_token_bucket_spaces_requests(clock: ManualClock) -> None:
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(3)]
    assert waits == [0.0, 0.5, 0.5]
    clock.advance(10)
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == 0.5
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_client_rate_limit_applies_to_requests_not_cache_hits(
    httpserver: HTTPServer, clock, tmp_path
) -> None:
    httpserver.expect_request(PATH).respond_with_json({})
    client = client_for(
        httpserver, clock, rate_limit=4.0, cache=ResponseCache(tmp_path / "c.db"), cache_ttl=60
    )
    for q in ["a", "b", "c", "a", "b"]:
        client.get_json(PATH, {"q": q})
    assert clock.sleeps == [0.25, 0.25]


def test_request_validation() -> None:
    client = HttpClient("s2", "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="method"):
        client.query("DELETE", "/x")
    with pytest.raises(ValueError, match="path"):
        client.query("GET", "x")
