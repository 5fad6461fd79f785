"""Cross-source dedup: one paper per work, every distinct passage kept."""

from __future__ import annotations

from litsynth.records import Author, Paper
from litsynth.sources.dedup import dedup_hits, merge_papers
from litsynth.sources.live import make_hit

LONG_TITLE = "Deep learning for protein structure prediction at scale"


def paper(pid: str, title: str = LONG_TITLE, **fields: object) -> Paper:
    return Paper(id=pid, title=title, **fields)  # type: ignore[arg-type]


def test_merge_keeps_the_richest_metadata() -> None:
    s2 = paper(
        "doi:10.1/x",
        abstract="Short.",
        authors=[Author("Ada Lovelace", "17"), Author("Alan Turing", "18")],
        year=2021,
        citation_count=40,
        external_ids={"doi": "10.1/x", "s2": "abc"},
        source="s2",
        source_ids={"s2": "abc"},
        fields_of_study=["Biology"],
    )
    openalex = paper(
        "doi:10.1/x",
        abstract="A much longer abstract from OpenAlex.",
        authors=[Author("Ada Lovelace"), Author("Alan Turing"), Author("Grace Hopper")],
        venue="Nature",
        citation_count=55,
        external_ids={"doi": "10.1/x", "pmid": "77", "openalex": "W1"},
        source="openalex",
        source_ids={"openalex": "W1"},
        fields_of_study=["Biology", "Medicine"],
    )
    merged = merge_papers(s2, openalex)
    assert merged.id == "doi:10.1/x"
    assert merged.abstract == "A much longer abstract from OpenAlex."
    assert [(a.name, a.author_id) for a in merged.authors] == [
        ("Ada Lovelace", "17"),
        ("Alan Turing", "18"),
        ("Grace Hopper", None),
    ]
    assert (merged.year, merged.venue, merged.citation_count) == (2021, "Nature", 55)
    assert merged.external_ids == {"doi": "10.1/x", "s2": "abc", "pmid": "77", "openalex": "W1"}
    assert merged.source_ids == {"s2": "abc", "openalex": "W1"}
    assert merged.fields_of_study == ["Biology", "Medicine"]


def test_merge_rederives_the_id_from_united_ids() -> None:
    web = paper("h:0123456789abcdef", source="web", year=2020)
    s2 = paper("s2:abc", external_ids={"s2": "abc", "arxiv": "2101.00001"}, year=2020)
    assert merge_papers(web, s2).id == "arxiv:2101.00001"
    assert merge_papers(web, paper("h:fedcba9876543210", year=2020)).id == "h:0123456789abcdef"


def _hit(p: Paper, channel: str, text: str, ordinal: int = 0, score: float = 1.0):
    return make_hit(p, channel, ordinal, text, "abstract", score)


def test_duplicates_across_sources_share_one_paper_and_keep_distinct_passages() -> None:
    s2 = paper("doi:10.1/x", external_ids={"doi": "10.1/x", "s2": "abc"}, year=2021)
    openalex = paper("doi:10.1/x", external_ids={"doi": "10.1/X".lower(), "pmid": "9"}, year=2021)
    web = paper("arxiv:2101.00001", external_ids={"arxiv": "2101.00001"}, source="web")
    s2_with_arxiv = paper(
        "doi:10.2/y", title="Other", external_ids={"doi": "10.2/y", "arxiv": "2101.00001"}
    )
    hits = [
        _hit(s2, "s2", "Title\n\nAbstract.", score=0.9),
        _hit(openalex, "openalex", "Title\n\n  abstract. ", score=3.0),
        _hit(s2, "s2", "A body snippet.", ordinal=1201, score=0.5),
        _hit(web, "web", "Web snippet."),
        _hit(s2_with_arxiv, "s2", "Other abstract."),
    ]
    out = dedup_hits(hits)
    assert [h.paper.id for h in out] == ["doi:10.1/x", "doi:10.1/x", "doi:10.2/y", "doi:10.2/y"]
    folded, body, web_hit, other = out
    assert folded.scores["s2"] == 0.9
    assert folded.scores["openalex"] == 3.0
    assert folded.score == 3.0
    assert folded.paper.external_ids["pmid"] == "9"
    assert body.passage.id == "doi:10.1/x#s2-1201"
    assert body.passage.paper_id == "doi:10.1/x"
    assert web_hit.passage.id == "doi:10.2/y#web-0"
    assert web_hit.paper is other.paper
    assert hits[3].paper.id == "arxiv:2101.00001", "inputs are left as they were"


def test_title_dedup_needs_five_words_and_equal_years() -> None:
    a = paper("h:1", year=2020)
    b = paper("h:2", title=LONG_TITLE.upper() + "!", year=2020)
    c = paper("h:3", year=2021)
    d = paper("h:4", title="Short title here", year=2020)
    e = paper("h:5", title="Short title here", year=2020)
    f = paper("h:6", year=None)
    out = dedup_hits([_hit(x, "web", f"text {x.id}") for x in (a, b, c, d, e, f)])
    assert [h.paper.id for h in out] == ["h:1", "h:1", "h:3", "h:4", "h:5", "h:6"]


def test_transitive_duplicates_merge_into_one_paper() -> None:
    a = paper("pmid:5", title="A", external_ids={"pmid": "5"})
    b = paper("s2:zz", title="B", external_ids={"s2": "zz", "s2corpus": "12"})
    bridge = paper("doi:10.9/q", title="C", external_ids={"doi": "10.9/q", "pmid": "5", "s2": "zz"})
    out = dedup_hits(
        [_hit(a, "s2", "one"), _hit(b, "openalex", "two"), _hit(bridge, "web", "three")]
    )
    assert {h.paper.id for h in out} == {"doi:10.9/q"}
    assert len(out) == 3
