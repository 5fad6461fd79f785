"""Rerankers: reorder fused candidates by relevance to the question, then cap and cut.

Three backends share one shape, ``rerank(question, hits) -> hits`` sorted best first:

- :class:`FusedScoreReranker` keeps the fused retrieval score (no model; the fallback).
- :class:`CrossEncoderReranker` scores (question, title + passage [+ abstract]) pairs with a
  sentence-transformers CrossEncoder, optionally adding ``prior * log1p(citation_count)`` as
  OpenScholar does to favour well-cited papers.
- :class:`LMReranker` asks the chat model for a 0-10 relevance per passage, a few per prompt.

A reranker that cannot do its job (a failed LM call, unparsable scores) keeps the fused order and
says so through the optional :class:`RerankReport`, so the answer can carry the warning.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from litsynth.errors import ConfigError, ModelError
from litsynth.llm.base import LLM, Completion
from litsynth.records import Hit
from litsynth.retrieve.fusion import cap_per_paper

if TYPE_CHECKING:
    from litsynth.config import RerankSettings

__all__ = [
    "CrossEncoderReranker",
    "FusedScoreReranker",
    "LMReranker",
    "RerankReport",
    "Reranker",
    "cap_per_paper",
    "make_reranker",
    "select_top",
]

#: Characters of each passage shown to the LM reranker: enough to judge topic, cheap to read.
LM_PASSAGE_CHARS = 400
#: Passages rated per LM prompt.
LM_BATCH = 5


@dataclass
class RerankReport:
    """What a rerank call wants the caller to know: warnings and the LM calls it made."""

    warnings: list[str] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)


class Reranker(Protocol):
    """Reorders hits for a question; sets ``hit.score`` (and ``scores["rerank"]`` when a model
    scored it) and returns the hits sorted best first."""

    name: str

    def rerank(
        self, question: str, hits: list[Hit], *, report: RerankReport | None = None
    ) -> list[Hit]: ...


def _sorted(hits: Iterable[Hit]) -> list[Hit]:
    # Stable on ties: the fused order decides between equal rerank scores.
    return sorted(hits, key=lambda h: -h.score)


class FusedScoreReranker:
    """Keeps the fused retrieval score and order; ``scores["rerank"]`` stays ``None`` because no
    reranking model ran."""

    name = "fused"

    def rerank(
        self, question: str, hits: list[Hit], *, report: RerankReport | None = None
    ) -> list[Hit]:
        """The hits sorted by their fused score, best first."""
        return _sorted(hits)


def pair_text(hit: Hit, *, use_abstract: bool) -> str:
    """The document side of a cross-encoder pair: title, passage text, optionally the abstract
    (skipped when the passage already is the abstract)."""
    parts = [hit.paper.title, hit.passage.text]
    abstract = hit.paper.abstract.strip()
    if use_abstract and abstract and abstract not in hit.passage.text:
        parts.append(abstract)
    return "\n".join(p for p in parts if p)


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder over (question, title + passage [+ abstract]).

    ``citation_prior`` > 0 adds ``citation_prior * log1p(citation_count)`` to the model score
    (papers without a count get no bonus)."""

    name = "cross-encoder"

    def __init__(
        self,
        model_dir: str,
        *,
        use_abstract: bool = False,
        citation_prior: float = 0.0,
        batch_size: int = 16,
        device: str = "cpu",
    ) -> None:
        self.model_dir = model_dir
        self.use_abstract = use_abstract
        self.citation_prior = citation_prior
        self.batch_size = batch_size
        self.device = device

    @cached_property
    def model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import CrossEncoder

            return CrossEncoder(self.model_dir, device=self.device)
        except Exception as exc:  # third-party load errors vary widely
            raise ModelError(f"cannot load reranker model from {self.model_dir}: {exc}") from exc

    def prior(self, hit: Hit) -> float:
        """The citation-count bonus of a hit."""
        count = hit.paper.citation_count
        if not self.citation_prior or not count or count < 0:
            return 0.0
        return self.citation_prior * math.log1p(count)

    def rerank(
        self, question: str, hits: list[Hit], *, report: RerankReport | None = None
    ) -> list[Hit]:
        """Scores every hit with the model (+ prior) and sorts best first."""
        if not hits:
            return []
        pairs = [(question, pair_text(h, use_abstract=self.use_abstract)) for h in hits]
        scores = self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        for hit, score in zip(hits, scores, strict=True):
            hit.score = float(score) + self.prior(hit)
            hit.scores["rerank"] = hit.score
        return _sorted(hits)


class LMReranker:
    """Pointwise LM relevance: the model rates each passage 0-10 for the question, a few
    passages per prompt; the score becomes ``rating / 10``. Any failure keeps the fused order."""

    name = "lm"

    def __init__(self, llm: LLM, *, batch: int = LM_BATCH, max_chars: int = LM_PASSAGE_CHARS):
        self.llm = llm
        self.batch = batch
        self.max_chars = max_chars

    def rerank(
        self, question: str, hits: list[Hit], *, report: RerankReport | None = None
    ) -> list[Hit]:
        """Rates the hits in batches; on any failure returns them in fused order with a
        warning in ``report``."""
        from litsynth.llm.structured import chat_json
        from litsynth.synthesize.prompts import relevance_messages, relevance_schema

        report = report if report is not None else RerankReport()
        ratings: list[float] = []
        for start in range(0, len(hits), self.batch):
            chunk = hits[start : start + self.batch]
            texts = [(h.paper.title, h.passage.text[: self.max_chars]) for h in chunk]
            data, completions, warnings = chat_json(
                self.llm,
                relevance_messages(question, texts),
                relevance_schema(len(chunk)),
                max_tokens=16 + 6 * len(chunk),
            )
            report.completions.extend(completions)
            report.warnings.extend(warnings)
            scores = _parse_ratings(data, len(chunk))
            if scores is None:
                report.warnings.append(
                    "LM reranker returned unusable ratings; kept the fused order"
                )
                return FusedScoreReranker().rerank(question, hits)
            ratings.extend(scores)
        for hit, rating in zip(hits, ratings, strict=True):
            hit.score = rating / 10.0
            hit.scores["rerank"] = hit.score
        return _sorted(hits)


def _parse_ratings(data: dict[str, Any] | None, expected: int) -> list[float] | None:
    """``{"scores": [7, 2, ...]}`` with one number in 0..10 per passage, else ``None``."""
    values = data.get("scores") if isinstance(data, dict) else None
    if not isinstance(values, list) or len(values) != expected:
        return None
    ratings: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        ratings.append(min(10.0, max(0.0, float(value))))
    return ratings


def select_top(
    hits: Iterable[Hit], per_paper: int, top_n: int, *, min_score: float | None = None
) -> list[Hit]:
    """The first ``top_n`` hits (already sorted) with at most ``per_paper`` per paper, dropping
    hits scored below ``min_score`` when given."""
    kept = [h for h in hits if min_score is None or h.score >= min_score]
    return cap_per_paper(kept, per_paper)[:top_n]


def make_reranker(settings: RerankSettings, llm: LLM | None = None) -> Reranker:
    """The reranker the settings ask for. ``auto`` = cross-encoder when ``model`` is set, else
    the fused score. Asking for a backend that cannot run is a ConfigError, never a silent
    substitution."""
    backend = settings.backend
    if backend == "auto":
        backend = "cross-encoder" if settings.model else "fused"
    if backend == "fused":
        return FusedScoreReranker()
    if backend == "cross-encoder":
        if not settings.model:
            raise ConfigError(
                "rerank.backend = 'cross-encoder' needs rerank.model",
                hint="set rerank.model to a CrossEncoder model directory",
            )
        return CrossEncoderReranker(
            settings.model,
            use_abstract=settings.use_abstract,
            citation_prior=settings.citation_prior,
        )
    if llm is None:
        raise ConfigError(
            "rerank.backend = 'lm' needs a language model", hint="configure --llm or LITSYNTH_LLM"
        )
    return LMReranker(llm)
