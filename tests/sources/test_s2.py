"""SemanticScholarSource against a fake S2 Graph API."""

from __future__ import annotations

import json

import pytest
from scholarly_fakes import FakeSemanticScholar, s2_paper, s2_snippet

from litsynth.errors import SourceError
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.registry import build_live_sources
from litsynth.sources.s2 import PAPER_FIELDS, SemanticScholarSource, normalise_s2_base

SHA = "649def34f8be52c8b66281af98ae884c09aef38b"


def source(fake: FakeSemanticScholar, **kwargs: object) -> SemanticScholarSource:
    client = HttpClient("s2", fake.url, max_retries=1, backoff=0.0)
    return SemanticScholarSource(client, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.semanticscholar.org",
        "https://api.semanticscholar.org/",
        "https://api.semanticscholar.org/graph/v1",
        "https://api.semanticscholar.org/graph/v1/",
        " https://api.semanticscholar.org/graph/v1// ",
    ],
)
def test_base_url_normalisation(url: str) -> None:
    assert normalise_s2_base(url) == "https://api.semanticscholar.org"


@pytest.mark.parametrize("suffix", ["", "/", "/graph/v1", "/graph/v1/"])
def test_both_url_forms_reach_the_graph_api(fake_s2, make_settings, suffix: str) -> None:
    fake_s2.serve([s2_paper(SHA, "A paper about graphs")])
    settings = make_settings(s2_api_url=fake_s2.url + suffix)
    [s2] = build_live_sources(["s2"], settings)
    hits = s2.search("graphs", 5)
    assert [h.paper.title for h in hits] == ["A paper about graphs"]
    assert len(fake_s2.requests(FakeSemanticScholar.SEARCH)) == 1


def test_paper_search_hits_carry_ids_metadata_and_passages(fake_s2) -> None:
    fake_s2.serve(
        [
            s2_paper(SHA, "With DOI", doi="10.1000/ABC", arxiv="2101.00001", corpus_id=11),
            s2_paper("b" * 40, "With arXiv", arxiv="2101.00002v3", pmid="999", corpus_id=12),
            s2_paper("c" * 40, "With PMID", pmid="12345", corpus_id=13),
            s2_paper("d" * 40, "Only S2", corpus_id=14, authors=(("No Id", None),)),
        ]
    )
    hits = source(fake_s2, snippets=False).search("q", 10)
    ids = [h.paper.id for h in hits]
    assert ids == ["doi:10.1000/abc", "arxiv:2101.00002", "pmid:12345", "s2:" + "d" * 40]
    first = hits[0]
    assert first.paper.external_ids == {
        "doi": "10.1000/abc",
        "arxiv": "2101.00001",
        "s2": SHA,
        "s2corpus": "11",
    }
    assert first.paper.authors[0].name == "Ada Lovelace"
    assert first.paper.authors[0].author_id == "1741101"
    assert hits[3].paper.authors[0].author_id is None
    assert first.paper.url == f"https://www.semanticscholar.org/paper/{SHA}"
    assert (first.paper.year, first.paper.venue, first.paper.citation_count) == (2021, "Nature", 42)
    assert first.paper.source == "s2"
    assert first.paper.fields_of_study == ["Computer Science"]
    assert first.passage.id == "doi:10.1000/abc#s2-0"
    assert first.passage.paper_id == first.paper.id
    assert first.passage.text == "With DOI\n\nAn abstract."
    assert first.passage.section == "abstract"
    assert first.scores["s2"] == first.score
    assert first.scores["dense"] is None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_request_parameters_carry_fields_limit_and_filters(fake_s2) -> None:
    fake_s2.serve([])
    filters = SearchFilters(
        year_min=2019,
        year_max=2023,
        fields_of_study=("Medicine", "Biology"),
        venue="Nature",
        min_citations=10,
    )
    source(fake_s2).search("  spaced   query ", 7, filters)
    [search] = fake_s2.requests(FakeSemanticScholar.SEARCH)
    assert search.args["query"] == "spaced query"
    assert search.args["limit"] == "7"
    assert search.args["fields"] == PAPER_FIELDS
    assert search.args["year"] == "2019-2023"
    assert search.args["fieldsOfStudy"] == "Medicine,Biology"
    assert search.args["venue"] == "Nature"
    assert search.args["minCitationCount"] == "10"
    [snippets] = fake_s2.requests(FakeSemanticScholar.SNIPPETS)
    assert snippets.args["year"] == "2019-2023"


@pytest.mark.parametrize(
    ("low", "high", "expected"), [(2019, None, "2019-"), (None, 2020, "-2020")]
)
def test_open_year_ranges(fake_s2, low, high, expected: str) -> None:
    fake_s2.serve([])
    source(fake_s2, snippets=False).search("q", 3, SearchFilters(year_min=low, year_max=high))
    assert fake_s2.requests(FakeSemanticScholar.SEARCH)[0].args["year"] == expected


def test_filters_are_enforced_even_when_the_api_ignores_them(fake_s2) -> None:
    fake_s2.serve([s2_paper(SHA, "Old", year=2010), s2_paper("b" * 40, "New", year=2021)])
    hits = source(fake_s2).search("q", 5, SearchFilters(year_min=2019))
    assert [h.paper.title for h in hits] == ["New"]


def test_paper_without_abstract_gives_a_title_only_passage(fake_s2) -> None:
    fake_s2.serve([s2_paper(SHA, "Lonely title", abstract=None)])
    [hit] = source(fake_s2).search("q", 5)
    assert hit.passage.text == "Lonely title"
    assert hit.passage.section == "title"


def test_snippets_become_passages_of_papers_completed_by_batch(fake_s2) -> None:
    full = s2_paper(SHA, "Snippet paper", doi="10.5/xyz", corpus_id=77, abstract="Full abstract.")
    fake_s2.serve(
        [],
        snippets=[
            s2_snippet(77, "Snippet paper", "Body text one.", start=1200, section="Methods"),
            s2_snippet(77, "Snippet paper", "Full abstract.", kind="abstract", start=0),
            s2_snippet(88, "Unknown to batch", "Body of another.", start=40),
        ],
        batch=[full],
    )
    hits = source(fake_s2).search("q", 10)
    assert [h.passage.id for h in hits] == [
        "doi:10.5/xyz#s2-1201",
        "doi:10.5/xyz#s2-0",
        "s2corpus:88#s2-41",
    ]
    body, abstract, stub = hits
    assert body.passage.text == "Body text one."
    assert body.passage.section == "Methods"
    assert body.paper.authors[0].author_id == "1741101"
    assert abstract.passage.text == "Snippet paper\n\nFull abstract."
    assert stub.paper.title == "Unknown to batch"
    assert stub.paper.authors[0].name == "Ada Lovelace"
    [batch] = fake_s2.requests(FakeSemanticScholar.BATCH)
    assert json.loads(batch.get_data())["ids"] == ["CorpusId:77", "CorpusId:88"]
    assert batch.args["fields"] == PAPER_FIELDS


def test_same_passage_from_both_endpoints_appears_once(fake_s2) -> None:
    paper = s2_paper(SHA, "Twice found", doi="10.1/a", corpus_id=5, abstract="Abs.")
    fake_s2.serve(
        [paper], snippets=[s2_snippet(5, "Twice found", "Abs.", kind="abstract")], batch=[paper]
    )
    hits = source(fake_s2).search("q", 10)
    assert [h.passage.id for h in hits] == ["doi:10.1/a#s2-0"]


def test_api_key_header_is_sent(fake_s2, make_settings) -> None:
    fake_s2.serve([s2_paper(SHA, "Keyed")])
    [s2] = build_live_sources(["s2"], make_settings(s2_api_key="my-s2-key"))
    s2.search("q", 2)
    assert all(r.headers.get("x-api-key") == "my-s2-key" for r in fake_s2.requests(fake_s2.SEARCH))


def test_snippet_failure_keeps_paper_hits_and_warns(fake_s2) -> None:
    fake_s2.fail_always(FakeSemanticScholar.SNIPPETS, 500)
    fake_s2.serve([s2_paper(SHA, "Still here")])
    s2 = source(fake_s2)
    hits = s2.search("q", 5)
    assert [h.paper.title for h in hits] == ["Still here"]
    assert s2.drain_warnings() == ["s2: HTTP 500 after 2 tries"]
    assert s2.drain_warnings() == []


def test_failure_of_every_endpoint_raises(fake_s2) -> None:
    fake_s2.fail_always(FakeSemanticScholar.SEARCH, 503)
    fake_s2.fail_always(FakeSemanticScholar.SNIPPETS, 500)
    with pytest.raises(SourceError, match="s2: HTTP 503 after 2 tries") as caught:
        source(fake_s2).search("which query", 5)
    assert caught.value.query == "which query"


def test_unicode_long_fields_and_odd_records_survive(fake_s2) -> None:
    long_abstract = "Ωmega β-sheet 日本語 " * 5000
    odd = {"paperId": None, "title": None}
    fake_s2.serve(
        [s2_paper(SHA, "Über α-synuclein — 研究", abstract=long_abstract), odd, "junk"]  # type: ignore[list-item]
    )
    [hit] = source(fake_s2, snippets=False).search("q", 5)
    assert hit.paper.title == "Über α-synuclein — 研究"
    assert hit.passage.text.endswith(long_abstract.strip())


def test_empty_results_and_empty_query(fake_s2) -> None:
    fake_s2.serve([])
    s2 = source(fake_s2)
    assert s2.search("nothing matches", 5) == []
    assert s2.search("   ", 5) == []
    assert s2.search("q", 0) == []
    assert len(fake_s2.requests(FakeSemanticScholar.SEARCH)) == 1
