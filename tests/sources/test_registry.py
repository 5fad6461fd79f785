"""Building live sources from settings, and searching them side by side."""

from __future__ import annotations

import pytest
from scholarly_fakes import FakeSemanticScholar, openalex_work, s2_paper, youcom_hit

from litsynth.errors import UsageError
from litsynth.records import Hit
from litsynth.sources.base import SearchFilters, Source
from litsynth.sources.openalex import OpenAlexSource
from litsynth.sources.registry import LIVE_SOURCES, build_live_sources, search_all
from litsynth.sources.s2 import SemanticScholarSource
from litsynth.sources.web import WebSearchSource


def test_live_source_names() -> None:
    assert LIVE_SOURCES == ("s2", "openalex", "web")


def test_build_keeps_order_skips_local_and_ignores_repeats(make_settings) -> None:
    built = build_live_sources(["web", "local", "s2", "web", "openalex"], make_settings())
    assert [type(s) for s in built] == [WebSearchSource, SemanticScholarSource, OpenAlexSource]
    assert [s.name for s in built] == ["web", "s2", "openalex"]
    assert all(isinstance(s, Source) for s in built)


def test_unknown_source_is_a_usage_error(make_settings) -> None:
    with pytest.raises(UsageError, match=r"unknown source.*scholar"):
        build_live_sources(["local", "scholar"], make_settings())


def test_offline_refuses_named_live_sources(make_settings) -> None:
    settings = make_settings()
    settings.offline = True
    with pytest.raises(UsageError, match=r"offline.*s2, web"):
        build_live_sources(["local", "s2", "web"], settings)
    assert build_live_sources(["local"], settings) == []


def test_a_failing_source_becomes_a_warning(
    fake_s2, fake_openalex, fake_youcom, make_settings
) -> None:
    fake_s2.fail_always(FakeSemanticScholar.SEARCH, 500)
    fake_s2.fail_always(FakeSemanticScholar.SNIPPETS, 500)
    fake_openalex.serve([openalex_work("W1", "OpenAlex survives", doi="10.1/ok")])
    fake_youcom.serve(
        [youcom_hit("https://arxiv.org/abs/2101.00001", "Web survives", snippets=("s",))]
    )
    sources = build_live_sources(["s2", "openalex", "web"], make_settings(ydc_api_key="k"))
    hits, warnings = search_all(sources, "query", 5)
    assert warnings == ["s2: HTTP 500 after 3 tries"]
    assert hits["s2"] == []
    assert [h.paper.title for h in hits["openalex"]] == ["OpenAlex survives"]
    assert [h.paper.title for h in hits["web"]] == ["Web survives"]


def test_partial_source_trouble_is_reported_with_its_hits(fake_s2, make_settings) -> None:
    fake_s2.fail_always(FakeSemanticScholar.SNIPPETS, 503)
    fake_s2.serve([s2_paper("a" * 40, "Paper search still works")])
    hits, warnings = search_all(build_live_sources(["s2"], make_settings()), "q", 5)
    assert [h.paper.title for h in hits["s2"]] == ["Paper search still works"]
    assert warnings == ["s2: HTTP 503 after 3 tries"]


class FakeBrokenSource:
    """A source with a bug: it raises something that is not a SourceError."""

    name = "openalex"

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        raise KeyError("results")


def test_an_unexpected_exception_is_also_only_a_warning(fake_s2, make_settings) -> None:
    fake_s2.serve([s2_paper("a" * 40, "Fine")])
    sources = [*build_live_sources(["s2"], make_settings()), FakeBrokenSource()]
    hits, warnings = search_all(sources, "q", 5, SearchFilters())
    assert [h.paper.title for h in hits["s2"]] == ["Fine"]
    assert hits["openalex"] == []
    assert warnings == ["openalex: unexpected error (KeyError: 'results')"]


def test_no_sources() -> None:
    assert search_all([], "q", 5) == ({}, [])


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"year_min": 2025, "year_max": 2000}, "--year-min 2025 is after --year-max 2000"),
        ({"min_citations": -5}, "--min-citations must be 0 or more"),
    ],
)
def test_contradictory_filters_are_a_usage_error(bounds: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SearchFilters(**bounds)
    assert SearchFilters(year_min=2000, year_max=2000, min_citations=0).year_min == 2000
