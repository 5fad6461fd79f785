"""OpenAlexSource against a fake OpenAlex API."""

from __future__ import annotations

import pytest
from scholarly_fakes import FakeOpenAlex, inverted_index, openalex_work

from litsynth.errors import SourceError
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.openalex import (
    OpenAlexSource,
    abstract_from_inverted_index,
    filter_param,
)
from litsynth.sources.registry import build_live_sources


def source(fake: FakeOpenAlex) -> OpenAlexSource:
    return OpenAlexSource(HttpClient("openalex", fake.url, max_retries=0))


def test_abstract_is_rebuilt_from_the_inverted_index() -> None:
    text = "the cat sat on the mat , the end"
    assert abstract_from_inverted_index(inverted_index(text)) == text
    assert abstract_from_inverted_index(None) == ""
    assert abstract_from_inverted_index({"odd": "not positions", "ok": [0]}) == "ok"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), None),
        (SearchFilters(year_min=2019, year_max=2023), "publication_year:2019-2023"),
        (SearchFilters(year_min=2019), "publication_year:>2018"),
        (SearchFilters(year_max=2020), "publication_year:<2021"),
        (SearchFilters(min_citations=10), "cited_by_count:>9"),
        (
            SearchFilters(fields_of_study=("Computer Science", "medicine")),
            "primary_topic.field.id:17|27",
        ),
        # An unknown name cannot be expressed as a field id: left to the client-side check.
        (SearchFilters(fields_of_study=("Computer Science", "Quidditch")), None),
    ],
)
def test_filter_param(filters: SearchFilters, expected: str | None) -> None:
    assert filter_param(filters) == expected


def test_works_become_hits_with_ids_authors_and_scores(fake_openalex) -> None:
    fake_openalex.serve(
        [
            openalex_work("W1", "With DOI and PMID", doi="10.1000/XYZ", pmid="321", relevance=9.0),
            openalex_work("W2", "Only PMID", pmid="654", relevance=4.0),
            openalex_work("W3", "arXiv preprint", doi="10.48550/arXiv.2301.01234", relevance=2.0),
            openalex_work("W4", "Only OpenAlex", relevance=None, abstract=None),
        ]
    )
    hits = source(fake_openalex).search("q", 10)
    assert [h.paper.id for h in hits[:3]] == [
        "doi:10.1000/xyz",
        "pmid:654",
        "doi:10.48550/arxiv.2301.01234",
    ]
    assert hits[3].paper.id.startswith("h:")
    first = hits[0]
    assert first.paper.external_ids == {"doi": "10.1000/xyz", "pmid": "321", "openalex": "W1"}
    assert hits[2].paper.external_ids["arxiv"] == "2301.01234"
    assert [a.name for a in first.paper.authors] == ["Ada Lovelace"]
    assert first.paper.authors[0].author_id is None
    assert (first.paper.year, first.paper.venue, first.paper.citation_count) == (2021, "Nature", 7)
    assert first.paper.url == "https://doi.org/10.1000/xyz"
    assert first.paper.source == "openalex"
    assert {"Computer Science", "Biology"} <= set(first.paper.fields_of_study)
    assert first.passage.id == "doi:10.1000/xyz#openalex-0"
    assert first.passage.text == "With DOI and PMID\n\nAn abstract from OpenAlex."
    assert [h.scores["openalex"] for h in hits[:3]] == [9.0, 4.0, 2.0]
    assert hits[3].passage.section == "title"
    assert hits[3].passage.text == "Only OpenAlex"


def test_request_parameters(fake_openalex, make_settings) -> None:
    fake_openalex.serve([])
    settings = make_settings(openalex_mailto="me@example.org")
    [openalex] = build_live_sources(["openalex"], settings)
    openalex.search(
        "protein folding", 15, SearchFilters(year_min=2019, year_max=2023, min_citations=5)
    )
    [request] = fake_openalex.requests(FakeOpenAlex.WORKS)
    assert request.args["search"] == "protein folding"
    assert request.args["per-page"] == "15"
    assert request.args["filter"] == "publication_year:2019-2023,cited_by_count:>4"
    assert request.args["mailto"] == "me@example.org"


def test_fields_of_study_filter_uses_mapped_names(fake_openalex) -> None:
    fake_openalex.serve(
        [
            openalex_work(
                "W1", "Biochem work", field=(13, "Biochemistry, Genetics and Molecular Biology")
            ),
            openalex_work("W2", "Physics work", field=(31, "Physics and Astronomy")),
        ]
    )
    hits = source(fake_openalex).search("q", 5, SearchFilters(fields_of_study=("Physics",)))
    assert [h.paper.title for h in hits] == ["Physics work"]


def test_truncated_json_is_a_source_error(fake_openalex) -> None:
    fake_openalex.truncate(FakeOpenAlex.WORKS, {"results": [openalex_work("W1", "Cut")]})
    with pytest.raises(SourceError, match="openalex: invalid JSON"):
        source(fake_openalex).search("q", 5)


def test_unexpected_shape_yields_no_hits(fake_openalex) -> None:
    fake_openalex.server.expect_request(FakeOpenAlex.WORKS).respond_with_json({"results": "nope"})
    assert source(fake_openalex).search("q", 5) == []
