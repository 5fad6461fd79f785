"""Extractive synthesis with a deterministic bag-of-words encoder (named as a fake), so the
selection, grouping and citation rules are checked without loading a model."""

from __future__ import annotations

import re

import numpy as np

from litsynth.records import Hit, Paper, Passage
from litsynth.synthesize.extractive import (
    NO_EVIDENCE,
    ExtractiveSettings,
    extractive_answer,
    has_relevant_evidence,
)
from litsynth.synthesize.markers import find_markers


class FakeBagOfWordsEncoder:
    """Hashes words into 64 buckets and normalises: texts sharing words are similar."""

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, sum(map(ord, word)) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def hit(paper_id: str, text: str) -> Hit:
    return Hit(Passage(f"{paper_id}#0", paper_id, 0, text), Paper(paper_id, f"Paper {paper_id}"))


HITS = [
    hit(
        "a",
        "Coral reefs bleach when ocean water warms above normal. Bleaching kills coral "
        "reefs over months [12]. The authors thank the funding agency for support.",
    ),
    hit(
        "b",
        "Warm ocean water drives coral reef bleaching events worldwide. Pianos are tuned "
        "by ear in many concert halls today.",
    ),
    hit("c", "Coral reef bleaching recovers slowly after ocean water cools again."),
]


def test_every_sentence_is_cited_and_markers_follow_first_use() -> None:
    answer = extractive_answer(
        "Why do coral reefs bleach when ocean water warms?", HITS, FakeBagOfWordsEncoder()
    )
    markers = find_markers(answer.text)
    assert markers and max(markers) == len(answer.ctxs)
    assert list(dict.fromkeys(markers)) == list(range(1, len(answer.ctxs) + 1))
    assert answer.mode == "extractive"
    for paragraph in answer.text.split("\n\n"):
        for sentence in re.split(r"(?<=\.)\s+", paragraph):
            assert re.search(r"\[\d+\]\.$", sentence), sentence


def test_paper_reference_markers_are_not_quoted_as_citations() -> None:
    answer = extractive_answer("Does bleaching kill coral reefs?", HITS, FakeBagOfWordsEncoder())
    assert "[12]" not in answer.text
    assert all(1 <= n <= len(answer.ctxs) for n in find_markers(answer.text))


def test_irrelevant_sentences_are_left_out() -> None:
    answer = extractive_answer(
        "Why do coral reefs bleach when ocean water warms?", HITS, FakeBagOfWordsEncoder()
    )
    assert "Pianos" not in answer.text and "funding agency" not in answer.text


def test_no_relevant_sentence_gives_no_evidence_answer() -> None:
    answer = extractive_answer(
        "quantum chromodynamics lattice gauge", HITS, FakeBagOfWordsEncoder()
    )
    assert answer.text == NO_EVIDENCE and answer.ctxs == []
    assert answer.warnings == [
        f"none of the {len(HITS)} retrieved passages is relevant enough"
        " to the question; a shorter, more specific question may help (--trace lists what was"
        " retrieved)"
    ]


def test_relevance_gate_agrees_with_the_extractive_abstention() -> None:
    encoder = FakeBagOfWordsEncoder()
    for question in ("Why do coral reefs bleach when ocean water warms?", "quantum lattice gauge"):
        abstains = extractive_answer(question, HITS, encoder).text == NO_EVIDENCE
        assert has_relevant_evidence(question, HITS, encoder) is not abstains
    assert not has_relevant_evidence("coral reefs", [], encoder)


def test_paragraphs_hold_at_most_the_configured_sentences() -> None:
    settings = ExtractiveSettings(max_paragraph_sentences=1, max_paragraphs=10, min_relevance=0.0)
    answer = extractive_answer(
        "coral reef bleaching ocean water", HITS, FakeBagOfWordsEncoder(), settings
    )
    assert all(len(find_markers(p)) == 1 for p in answer.text.split("\n\n"))
