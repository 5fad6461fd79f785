"""WebSearchSource with the You.com provider against a fake You.com API, and with a second
provider plugged in unchanged."""

from __future__ import annotations

import pytest
from scholarly_fakes import FakeYouCom, youcom_hit

from litsynth.errors import SourceError
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.registry import build_live_sources
from litsynth.sources.urlids import ids_from_url, on_domain
from litsynth.sources.web import WebResult, WebSearchSource, YouComProvider

DOMAINS = ("arxiv.org", "nature.com", "pubmed.ncbi.nlm.nih.gov", "science.org")


def web_source(fake: FakeYouCom, domains=DOMAINS) -> WebSearchSource:
    provider = YouComProvider(HttpClient("web", fake.url, max_retries=0), has_key=True)
    return WebSearchSource(provider, domains)


@pytest.mark.parametrize(
    ("host", "domain", "expected"),
    [
        ("arxiv.org", "arxiv.org", True),
        ("export.arxiv.org", "arxiv.org", True),
        ("www.nature.com", "nature.com", True),
        ("evilnature.com", "nature.com", False),
        ("nature.com.evil.io", "nature.com", False),
        ("NATURE.COM.", "nature.com", True),
        ("nature.com", "", False),
    ],
)
def test_on_domain(host: str, domain: str, expected: bool) -> None:
    assert on_domain(host, domain) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2101.00001v2", {"arxiv": "2101.00001"}),
        ("https://arxiv.org/pdf/hep-th/9901001v1.pdf", {"arxiv": "hep-th/9901001"}),
        ("https://doi.org/10.1038/S41586-020-2012-7", {"doi": "10.1038/s41586-020-2012-7"}),
        ("https://pubmed.ncbi.nlm.nih.gov/12345678/", {"pmid": "12345678"}),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3755374/", {"pmcid": "PMC3755374"}),
        ("https://www.science.org/doi/10.1126/science.abc1234", {"doi": "10.1126/science.abc1234"}),
        (
            "https://www.semanticscholar.org/paper/Title-Here/649def34f8be52c8b66281af98ae884c09aef38b",
            {"s2": "649def34f8be52c8b66281af98ae884c09aef38b"},
        ),
        (
            "https://doi.org/10.48550/arXiv.2310.12345",
            {"doi": "10.48550/arxiv.2310.12345", "arxiv": "2310.12345"},
        ),
        ("https://www.nature.com/articles/nature14539", {}),
        ("not a url at all", {}),
    ],
)
def test_ids_from_url(url: str, expected: dict[str, str]) -> None:
    assert ids_from_url(url) == expected


def test_only_academic_domains_are_kept_and_snippets_become_passages(fake_youcom) -> None:
    fake_youcom.serve(
        [
            youcom_hit("https://www.example.com/blog", "A blog", snippets=("Blog text.",)),
            youcom_hit(
                "https://arxiv.org/abs/2101.00001v2",
                "Attention paper",
                description="Desc.",
                snippets=("First snippet.", "Second snippet — ünïcode."),
            ),
            youcom_hit("https://evilnature.com/a", "Phishing", snippets=("x",)),
            youcom_hit(
                "https://www.nature.com/articles/x1", "Nature piece", description="Only desc."
            ),
            youcom_hit("https://pubmed.ncbi.nlm.nih.gov/424242/", "Bare PubMed"),
        ]
    )
    hits = web_source(fake_youcom).search("attention", 10)
    assert [h.passage.id for h in hits[:2]] == ["arxiv:2101.00001#web-0", "arxiv:2101.00001#web-1"]
    assert [h.passage.text for h in hits[:2]] == ["First snippet.", "Second snippet — ünïcode."]
    assert hits[0].paper.url == "https://arxiv.org/abs/2101.00001v2"
    assert hits[0].paper.source == "web"
    assert hits[0].passage.section == "snippet"
    nature, pubmed = hits[2], hits[3]
    assert nature.paper.id.startswith("h:")
    assert (nature.passage.text, nature.passage.section) == ("Only desc.", "description")
    assert pubmed.paper.id == "pmid:424242"
    assert (pubmed.passage.text, pubmed.passage.section) == ("Bare PubMed", "title")
    assert len(hits) == 4
    assert hits[0].scores["web"] == hits[0].score > nature.score > pubmed.score


def test_request_carries_query_and_api_key(fake_youcom, make_settings) -> None:
    fake_youcom.serve([])
    [web] = build_live_sources(["web"], make_settings(ydc_api_key="ydc-secret"))
    web.search("crispr off-target", 5)
    [request] = fake_youcom.requests(FakeYouCom.SEARCH)
    assert request.args["query"] == "crispr off-target"
    assert request.headers["X-API-Key"] == "ydc-secret"


def test_missing_key_fails_before_any_request(fake_youcom, make_settings) -> None:
    fake_youcom.serve([])
    [web] = build_live_sources(["web"], make_settings(ydc_api_key=None))
    with pytest.raises(SourceError, match="YDC_API_KEY"):
        web.search("q", 5)
    assert fake_youcom.requests(FakeYouCom.SEARCH) == []


def test_year_filter_drops_web_hits_without_a_year(fake_youcom) -> None:
    fake_youcom.serve([youcom_hit("https://arxiv.org/abs/2101.00001", "T", snippets=("s",))])
    assert web_source(fake_youcom).search("q", 5, SearchFilters(year_min=2020)) == []


def test_empty_hits(fake_youcom) -> None:
    fake_youcom.serve([])
    assert web_source(fake_youcom).search("q", 5) == []


class FakeOtherSearchApi:
    """A second provider: any API that yields WebResults fits without changes elsewhere."""

    name = "other"

    def __init__(self, results: list[WebResult]) -> None:
        self.results = results
        self.asked: list[tuple[str, int]] = []

    def search(self, query: str, k: int) -> list[WebResult]:
        self.asked.append((query, k))
        return self.results[:k]


def test_a_second_provider_plugs_in() -> None:
    provider = FakeOtherSearchApi(
        [
            WebResult("https://openreview.net/forum?id=abc", "OpenReview paper", "Desc."),
            WebResult("https://example.org/x", "Elsewhere", snippets=["nope"]),
        ]
    )
    source = WebSearchSource(provider, ["openreview.net"])
    hits = source.search("q", 3)
    assert provider.asked == [("q", 3)]
    assert [h.paper.title for h in hits] == ["OpenReview paper"]
    assert hits[0].passage.text == "Desc."
