"""Id normalisation and the stable paper id."""

from __future__ import annotations

import pytest

from litsynth.corpus.ids import (
    make_paper_id,
    normalise_arxiv,
    normalise_doi,
    normalise_title,
    paper_url,
    s2_id_from_url,
    title_key,
)
from litsynth.records import Paper


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1103/PhysRevD.76.013009", "10.1103/physrevd.76.013009"),
        ("https://doi.org/10.1056/NEJMoa1715274", "10.1056/nejmoa1715274"),
        ("http://dx.doi.org/10.1186/cc11003", "10.1186/cc11003"),
        ("doi: 10.1371/journal.pone.0000217 ", "10.1371/journal.pone.0000217"),
        ("not a doi", None),
        ("", None),
    ],
)
def test_normalise_doi(raw: str, expected: str | None) -> None:
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("arXiv:0704.0001v2", "0704.0001"),
        ("https://arxiv.org/abs/2212.11867v1", "2212.11867"),
        ("2505.24868", "2505.24868"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),
        # Spreadsheet damage: leading and trailing zeros lost.
        ("704.2", "0704.2000"),
        ("704.0001", "0704.0001"),
        ("704.002", "0704.0020"),
        ("1001.1", "1001.1000"),
        ("1501.1", "1501.10000"),
        ("0704.9999", "0704.9999"),
        ("1234.5678", None),  # month 34 does not exist
        ("not-an-id", None),
        (None, None),
    ],
)
def test_normalise_arxiv(raw: str | None, expected: str | None) -> None:
    assert normalise_arxiv(raw) == expected


def test_damaged_ids_match_the_zero_padding_rule() -> None:
    for raw in ("704.1", "704.25", "704.999", "704.1234"):
        assert normalise_arxiv(raw) == f"0{float(raw):.4f}"


def test_normalise_title_ignores_case_punctuation_and_accents() -> None:
    assert normalise_title("The “Sweet” Side of the Protein-Corona!") == normalise_title(
        "the sweet side of the protein corona"
    )
    assert normalise_title("Étude") == normalise_title("etude")


def test_title_key_needs_five_words_and_a_year() -> None:
    five = "Deep learning for protein folding"
    assert title_key(Paper(id="x", title=five, year=2020)) == "deeplearningforproteinfolding"
    assert title_key(Paper(id="x", title=five, year=None)) is None
    assert title_key(Paper(id="x", title="Protein folding", year=2020)) is None


def test_make_paper_id_prefers_doi_then_arxiv_then_pmid_then_s2() -> None:
    ids = {"s2corpus": 42, "s2": "abc", "pmid": "123", "arxiv": "arXiv:0704.0001v1"}
    assert make_paper_id(ids, None, "t", "x") == "arxiv:0704.0001"
    assert make_paper_id({**ids, "doi": "https://doi.org/10.1/X"}, None, "t", "x") == "doi:10.1/x"
    assert make_paper_id({"s2": "abc", "pmid": "123"}, None, "t", "x") == "pmid:123"
    assert make_paper_id({"s2corpus": 42, "s2": "abc"}, None, "t", "x") == "s2:abc"
    assert make_paper_id({"s2corpus": 42}, None, "t", "x") == "s2corpus:42"


def test_hash_id_is_stable_and_keeps_raw_ids_apart() -> None:
    first = make_paper_id({}, "a", "Title", "Same text.")
    assert first == make_paper_id({}, "a", "Title", "Same text.")
    assert first.startswith("h:") and len(first) == 18
    assert first != make_paper_id({}, "b", "Title", "Same text.")
    assert first != make_paper_id({}, "a", "Title", "Other text.")
    # An empty or invalid external id does not count.
    assert make_paper_id({"doi": "", "arxiv": "garbage"}, "a", "Title", "Same text.") == first


def test_urls_follow_the_preferred_id() -> None:
    assert paper_url({"pmid": "29768149"}) == "https://pubmed.ncbi.nlm.nih.gov/29768149/"
    assert paper_url({"arxiv": "0704.0001", "pmid": "1"}) == "https://arxiv.org/abs/0704.0001"
    assert paper_url({}) is None
    sha = "90b3eb94139217e45986958d1a1083a1ad8dbb5c"
    assert s2_id_from_url(f"https://www.semanticscholar.org/paper/{sha}") == sha
    assert s2_id_from_url(f"https://www.semanticscholar.org/paper/Some-Title/{sha}") == sha
    assert s2_id_from_url("https://example.org/paper/x") is None
