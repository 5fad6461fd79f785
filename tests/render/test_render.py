"""Markdown, HTML, BibTeX and JSON renderings of one small answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from litsynth.errors import UsageError
from litsynth.records import Answer, Author, Hit, Paper, Passage
from litsynth.render import render_answer, write_answer
from litsynth.synthesize.references import build_references


def _hit(paper_id: str, title: str, text: str, **paper: object) -> Hit:
    return Hit(
        passage=Passage(id=f"{paper_id}#0", paper_id=paper_id, ordinal=0, text=text),
        paper=Paper(id=paper_id, title=title, **paper),  # type: ignore[arg-type]
    )


@pytest.fixture
def answer() -> Answer:
    ctxs = [
        _hit(
            "doi:10.1/corals",
            "Coral bleaching under {warm} seas.",
            "Corals <b>bleach</b> when seas warm.",
            authors=[Author("Ana Reef"), Author("Bo Tide")],
            year=2020,
            venue="Marine Biology",
            external_ids={"doi": "10.1/corals"},
        ),
        _hit("h:abc", "", "An untitled note on sponges."),
        _hit("h:unused", "Never cited", "Unrelated text."),
    ]
    text = "Corals bleach when seas warm [1]. Sponges are filter feeders [2]."
    return Answer(
        question="Why do corals <bleach>?",
        text=text,
        ctxs=ctxs,
        references=build_references(text, ctxs),
        mode="lm",
        warnings=["S1 [2]: a <warning>"],
    )


def test_markdown_lists_cited_references_with_their_numbers(answer: Answer) -> None:
    md = render_answer(answer, "markdown")
    assert md.startswith("# Why do corals <bleach>?\n")
    line = "[1] Ana Reef, Bo Tide (2020). Coral bleaching under {warm} seas. *Marine Biology*."
    assert line in md
    assert "https://doi.org/10.1/corals" in md
    assert "[2] Unknown authors. Untitled (h:abc)." in md
    assert "Never cited" not in md
    assert "## Warnings" in md and "- S1 [2]: a <warning>" in md


def test_extractive_answers_are_labelled(answer: Answer) -> None:
    answer.mode = "extractive"
    assert "extractive" in render_answer(answer, "markdown").lower()
    assert "extractive" in render_answer(answer, "html").lower()


def test_html_escapes_passages_and_links_markers(answer: Answer) -> None:
    page = render_answer(answer, "html")
    assert "<b>bleach</b>" not in page and "&lt;b&gt;bleach&lt;/b&gt;" in page
    assert "<title>Why do corals &lt;bleach&gt;?</title>" in page
    assert '<a href="#ref-1">[1]</a>' in page and 'id="ref-2"' in page
    assert "a &lt;warning&gt;" in page


def test_bibtex_has_one_entry_per_cited_paper_with_unique_keys(answer: Answer) -> None:
    bib = render_answer(answer, "bibtex")
    keys = re.findall(r"@article\{([^,]+),", bib)
    assert len(keys) == 2 and len(set(keys)) == 2
    assert r"title = {Coral bleaching under \{warm\} seas}," in bib
    assert "author = {Ana Reef and Bo Tide}" in bib and "doi = {10.1/corals}" in bib
    assert "title = {Untitled (h:abc)}" in bib


def test_json_follows_the_contract_keys(answer: Answer) -> None:
    data = json.loads(render_answer(answer, "json"))
    assert {"input", "output", "ctxs", "references", "mode", "usage", "warnings"} <= set(data)
    assert [c["passage_id"] for c in data["ctxs"]] == ["doi:10.1/corals#0", "h:abc#0", "h:unused#0"]
    assert [r["ctx_indices"] for r in data["references"]] == [[0], [1]]


def test_write_answer_picks_the_format_from_the_extension(answer: Answer, tmp_path: Path) -> None:
    write_answer(answer, tmp_path / "deep" / "a.bib")
    assert (tmp_path / "deep" / "a.bib").read_text().startswith("@article{")
    with pytest.raises(UsageError, match=r"a\.txt"):
        write_answer(answer, tmp_path / "a.txt")


@pytest.mark.parametrize(
    ("title", "rendered"),
    [
        ("What Works Best?", "What Works Best? https"),
        ("Skill-it!", "Skill-it! https"),
        ("Plain title.", "Plain title. https"),
    ],
)
def test_markdown_title_keeps_its_own_final_punctuation(title: str, rendered: str) -> None:
    ctxs = [_hit("p1", title, "Text.", url="https://example.org/p1")]
    text = "A claim [1]."
    md = render_answer(
        Answer(question="q", text=text, ctxs=ctxs, references=build_references(text, ctxs)),
        "markdown",
    )
    assert f"Unknown authors. {rendered}" in md
