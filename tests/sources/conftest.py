"""Fixtures for the live-source tests: fake APIs on 127.0.0.1, a recording sleep, a
manual clock, and settings pointing at the fakes."""

from __future__ import annotations

import pytest
from manual_clock import ManualClock
from pytest_httpserver import HTTPServer
from scholarly_fakes import FakeOpenAlex, FakeSemanticScholar, FakeYouCom

from litsynth.config import FLAT_ENV, Settings, SourcesSettings
from litsynth.sources.netguard import guard_for_tests

# These tests must never leave the machine, whatever the top-level conftest does.
guard_for_tests()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake_s2(httpserver: HTTPServer) -> FakeSemanticScholar:
    return FakeSemanticScholar(httpserver)


@pytest.fixture
def fake_openalex(httpserver: HTTPServer) -> FakeOpenAlex:
    return FakeOpenAlex(httpserver)


@pytest.fixture
def fake_youcom(httpserver: HTTPServer) -> FakeYouCom:
    return FakeYouCom(httpserver)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LITSYNTH_*/S2_API_KEY/YDC_API_KEY from the developer's shell."""
    for name in FLAT_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(clean_env: None, tmp_path, httpserver: HTTPServer):
    """Settings whose live sources point at the fakes, with no waiting between retries."""

    def build(**sources: object) -> Settings:
        base = httpserver.url_for("/").rstrip("/")
        values: dict[str, object] = {
            "s2_api_url": base,
            "openalex_url": base,
            "web_search_url": base,
            "backoff": 0.0,
            "max_retries": 2,
            "timeout": 5.0,
            "rate_limit": {},
        }
        values.update(sources)
        return Settings(home=tmp_path / "home", sources=SourcesSettings(**values))

    return build
