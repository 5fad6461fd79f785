"""Extractive synthesis: the answer when no language model is used.

The most relevant and mutually diverse sentences of the top passages are selected by maximal
marginal relevance (Carbonell and Goldstein, SIGIR 1998), grouped into short themed paragraphs
by embedding similarity, and each is cited with the passage it was copied from. Nothing is
generated, so every statement is a quotation; the answer is labelled ``mode="extractive"``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from litsynth.records import Answer, Hit, Stage
from litsynth.synthesize.markers import strip_markers
from litsynth.text import collapse_whitespace, content_words, split_sentences

if TYPE_CHECKING:
    from litsynth.index.encoder import Encoder

NO_EVIDENCE = (
    "No relevant evidence was found in the searched sources for this question, so no answer "
    "is given."
)


@dataclass
class ExtractiveSettings:
    """Knobs of the extractive synthesis (defaults tuned on the demo questions)."""

    max_sentences: int = 8
    max_per_passage: int = 2
    min_words: int = 6
    max_words: int = 60
    diversity: float = 0.3  # MMR trade-off: 0 = relevance only, 1 = novelty only
    min_relevance: float = 0.3  # below this a sentence is not evidence for the question
    paragraph_similarity: float = 0.55  # a sentence joins a paragraph at this centroid cosine
    max_paragraphs: int = 4
    max_paragraph_sentences: int = 3


@dataclass
class _Candidate:
    text: str
    hit_index: int
    relevance: float
    vector: np.ndarray


def _clean(sentence: str) -> str:
    # Section labels glued to structured abstracts ("BACKGROUND: ...") read badly when quoted,
    # and a paper's own reference markers ("[57–61]") would read as our citations.
    sentence = re.sub(r"^[A-Z][A-Z /&-]{2,40}:\s+", "", sentence)
    return collapse_whitespace(strip_markers(sentence))


def _cite(sentence: str, marker: int) -> str:
    """``"A is B."`` -> ``"A is B [3]."``: the marker goes before the final punctuation."""
    if sentence[-1] in ".!?":
        return f"{sentence[:-1]} [{marker}]{sentence[-1]}"
    return f"{sentence} [{marker}]."


def _lexical_overlap(question_words: set[str], sentence: str) -> float:
    if not question_words:
        return 0.0
    words = set(content_words(sentence))
    return len(question_words & words) / len(question_words)


def _candidates(
    question: str, hits: list[Hit], encoder: Encoder, settings: ExtractiveSettings
) -> list[_Candidate]:
    texts: list[str] = []
    owners: list[int] = []
    for index, hit in enumerate(hits):
        for sentence in split_sentences(hit.passage.text):
            sentence = _clean(sentence)
            n_words = len(sentence.split())
            if settings.min_words <= n_words <= settings.max_words:
                texts.append(sentence)
                owners.append(index)
    if not texts:
        return []
    vectors = encoder.encode([question, *texts])
    question_vector, sentence_vectors = vectors[0], vectors[1:]
    cosine = sentence_vectors @ question_vector
    question_words = set(content_words(question))
    return [
        _Candidate(
            text,
            owner,
            float(0.8 * cos + 0.2 * _lexical_overlap(question_words, text)),
            vector,
        )
        for text, owner, cos, vector in zip(texts, owners, cosine, sentence_vectors, strict=True)
    ]


def _select(candidates: list[_Candidate], settings: ExtractiveSettings) -> list[_Candidate]:
    pool = [c for c in candidates if c.relevance >= settings.min_relevance]
    chosen: list[_Candidate] = []
    per_passage: dict[int, int] = {}
    while pool and len(chosen) < settings.max_sentences:

        def mmr(c: _Candidate) -> float:
            redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
            return (1 - settings.diversity) * c.relevance - settings.diversity * redundancy

        best = max(pool, key=mmr)
        pool.remove(best)
        if per_passage.get(best.hit_index, 0) >= settings.max_per_passage:
            continue
        if any(float(best.vector @ s.vector) > 0.92 for s in chosen):
            continue  # a near-duplicate sentence from another paper adds nothing
        chosen.append(best)
        per_passage[best.hit_index] = per_passage.get(best.hit_index, 0) + 1
    return chosen


def _paragraphs(chosen: list[_Candidate], settings: ExtractiveSettings) -> list[list[_Candidate]]:
    """Greedy grouping by theme: each sentence (most relevant first) joins the open paragraph
    whose centroid it is closest to, if close enough and not full, else starts a new one."""
    groups: list[list[_Candidate]] = []

    def closeness(candidate: _Candidate, group: list[_Candidate]) -> float:
        centroid = np.mean([c.vector for c in group], axis=0)
        return float(candidate.vector @ centroid / (np.linalg.norm(centroid) or 1.0))

    for candidate in chosen:
        open_groups = [g for g in groups if len(g) < settings.max_paragraph_sentences]
        scored = sorted(
            ((closeness(candidate, g), i) for i, g in enumerate(open_groups)), reverse=True
        )
        if scored and scored[0][0] >= settings.paragraph_similarity:
            open_groups[scored[0][1]].append(candidate)
        elif len(groups) < settings.max_paragraphs:
            groups.append([candidate])
        elif scored:
            open_groups[scored[0][1]].append(candidate)
        else:  # every paragraph is full: the closest one takes it rather than drop evidence
            max(groups, key=lambda g: closeness(candidate, g)).append(candidate)
    return groups


def irrelevant_hits_warning(n_hits: int) -> str:
    """The warning of an answer that abstained although passages were retrieved: the user
    should hear that the question, not the search, found nothing (a long or compound
    question dilutes its relevance to any one sentence)."""
    return (
        f"none of the {n_hits} retrieved passages is relevant enough to the question; a "
        "shorter, more specific question may help (--trace lists what was retrieved)"
    )


def has_relevant_evidence(
    question: str, hits: list[Hit], encoder: Encoder, settings: ExtractiveSettings | None = None
) -> bool:
    """Whether any sentence of ``hits`` is relevant enough to quote for ``question`` — the
    test the extractive mode abstains on, so both modes abstain on the same questions."""
    settings = settings or ExtractiveSettings()
    candidates = _candidates(question, hits, encoder, settings)
    return any(c.relevance >= settings.min_relevance for c in candidates)


def extractive_answer(
    question: str,
    hits: list[Hit],
    encoder: Encoder,
    settings: ExtractiveSettings | None = None,
) -> Answer:
    """An extractive, cited synthesis of ``hits`` for ``question``.

    ``ctxs`` holds only the cited passages, numbered by first use, so ``[n]`` resolves to
    ``ctxs[n-1]``. When no sentence is relevant enough, the answer says so and ``ctxs`` is empty.
    """
    settings = settings or ExtractiveSettings()
    started = time.perf_counter()
    chosen = _select(_candidates(question, hits, encoder, settings), settings)
    stage = Stage(name="extract", cost_usd=0.0)
    if not chosen:
        stage.seconds = time.perf_counter() - started
        stage.data = {"candidates": len(hits), "selected": 0}
        warnings = [irrelevant_hits_warning(len(hits))] if hits else []
        return Answer(
            question=question,
            text=NO_EVIDENCE,
            mode="extractive",
            stages=[stage],
            warnings=warnings,
        )

    ctxs: list[Hit] = []
    marker_of: dict[int, int] = {}
    paragraphs: list[str] = []
    for group in _paragraphs(chosen, settings):
        sentences = []
        for candidate in group:
            if candidate.hit_index not in marker_of:
                ctxs.append(hits[candidate.hit_index])
                marker_of[candidate.hit_index] = len(ctxs)
            sentences.append(_cite(candidate.text, marker_of[candidate.hit_index]))
        paragraphs.append(" ".join(sentences))
    stage.seconds = time.perf_counter() - started
    stage.data = {
        "candidates": len(hits),
        "selected": [
            {
                "sentence": c.text,
                "passage_id": hits[c.hit_index].passage.id,
                "relevance": c.relevance,
            }
            for c in chosen
        ],
        "paragraphs": len(paragraphs),
    }
    return Answer(
        question=question,
        text="\n\n".join(paragraphs),
        ctxs=ctxs,
        mode="extractive",
        stages=[stage],
    )
