"""The shapes every stage exchanges: Paper, Passage, Hit, Citation, Reference, Answer.

Data flows one way: readers make ``Document`` (a Paper plus its text sections), the chunker
turns a Document into ``Passage`` records, retrieval returns ``Hit`` records (passage + paper +
one score per channel), and synthesis returns an ``Answer``. Everything here is a plain
dataclass with ``to_dict``/``from_dict`` so it can cross process and JSON boundaries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

#: Retrieval channels a Hit can carry a score for (CONTRACT.md: search --json ``scores``).
CHANNELS: tuple[str, ...] = ("dense", "bm25", "s2", "openalex", "web", "rerank")

#: Kinds of external id a Paper can carry, in the order they are preferred for its stable id.
ID_KINDS: tuple[str, ...] = ("doi", "arxiv", "pmid", "s2", "s2corpus")

#: "unknown" = the judge could not decide (e.g. unparsable LM output); the citation is kept.
Verdict = Literal["supported", "unsupported", "out-of-range", "unknown"]
SentenceVerdict = Literal["supported", "unsupported", "uncited", "unknown"]
#: What verification did with a citation: kept it, removed it, or added it to the text.
CitationAction = Literal["kept", "removed", "added"]
Mode = Literal["lm", "extractive"]


@dataclass
class Author:
    """One author; ``author_id`` is the Semantic Scholar authorId when known."""

    name: str
    author_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """ScholarQABench form: ``{"name", "authorId"}``."""
        return {"name": self.name, "authorId": self.author_id}


@dataclass
class Paper:
    """A paper's metadata. ``id`` is stable: ``doi:…``, ``arxiv:…``, ``pmid:…``, ``s2:…``,
    ``s2corpus:…`` or ``h:<content hash>``; ``external_ids`` holds every id known by kind
    (keys from ``ID_KINDS`` plus e.g. ``pmcid``); ``source_ids`` maps each source (file path or
    source name) to the raw id it gave, which batch runs write as docid."""

    id: str
    title: str
    abstract: str = ""
    authors: list[Author] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    url: str | None = None
    citation_count: int | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    source: str = ""
    source_ids: dict[str, str] = field(default_factory=dict)
    licence: str | None = None
    provenance: str | None = None
    fields_of_study: list[str] = field(default_factory=list)

    @property
    def doi(self) -> str | None:
        return self.external_ids.get("doi")

    def raw_id(self) -> str:
        """The id as the first source gave it (docid in TREC runs); falls back to ``id``."""
        for raw in self.source_ids.values():
            if raw:
                return raw
        return self.id

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["authors"] = [a.to_dict() for a in self.authors]
        data["doi"] = self.doi
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["authors"] = [
            a if isinstance(a, Author) else Author(a.get("name", ""), a.get("authorId"))
            for a in data.get("authors") or []
        ]
        return cls(**values)


@dataclass
class Section:
    """A stretch of a paper's text with its heading and, for PDFs, its page."""

    text: str
    title: str = ""
    page: int | None = None


@dataclass
class Document:
    """What a reader yields: a Paper and its text, abstract first (as ``Section("...",
    "Abstract")``), then the body sections in order. ``line`` is the 1-based record position
    in the source file, for error messages and provenance."""

    paper: Paper
    sections: list[Section] = field(default_factory=list)
    line: int | None = None


@dataclass
class Passage:
    """A chunk of a paper that fits the bi-encoder. ``id`` is ``<paper_id>#<ordinal>``.
    ``chunker`` names the chunker version and parameters that produced it."""

    id: str
    paper_id: str
    ordinal: int
    text: str
    section: str = ""
    page: int | None = None
    chunker: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Hit:
    """One retrieved passage with its paper, the score of every channel that saw it
    (``None`` when a channel did not), and the final score used for ranking."""

    passage: Passage
    paper: Paper
    scores: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(CHANNELS))
    score: float = 0.0

    def to_search_json(self, rank: int) -> dict[str, Any]:
        """The element shape of ``litsynth search --json`` (CONTRACT.md)."""
        return {
            "rank": rank,
            "passage_id": self.passage.id,
            "paper_id": self.paper.id,
            "source_id": self.paper.raw_id(),
            "title": self.paper.title,
            "year": self.paper.year,
            "text": self.passage.text,
            "scores": {c: self.scores.get(c) for c in CHANNELS},
            "score": self.score,
        }

    def to_ctx(self) -> dict[str, Any]:
        """The OpenScholar/ScholarQABench ``ctxs`` element, plus our ids."""
        return {
            "title": self.paper.title,
            "text": self.passage.text,
            "url": self.paper.url,
            "year": self.paper.year,
            "authors": [a.to_dict() for a in self.paper.authors],
            "citation_count": self.paper.citation_count,
            "venue": self.paper.venue,
            "doi": self.paper.doi,
            "section": self.passage.section,
            "paper_id": self.paper.id,
            "passage_id": self.passage.id,
            "score": self.score,
        }


@dataclass
class Citation:
    """One ``[n]`` marker in an answer: which sentence, which ctx (1-based ``marker``), the
    support verdict and the judge's score; ``action`` is what verification did with it."""

    sentence: int
    marker: int
    passage_id: str | None
    verdict: Verdict
    score: float | None = None
    action: CitationAction | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Reference:
    """One cited paper, numbered in order of first use; ``ctx_indices`` are 0-based indexes
    into the answer's ``ctxs``."""

    paper_id: str
    title: str
    authors: list[Author]
    year: int | None
    venue: str | None
    doi: str | None
    url: str | None
    ctx_indices: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["authors"] = [a.to_dict() for a in self.authors]
        return data


@dataclass
class Stage:
    """One pipeline stage in the trace (CONTRACT.md stage names)."""

    name: str
    seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if self.skipped is None:
            out.pop("skipped")
        return out


@dataclass
class Answer:
    """A synthesis: ``text`` with ``[n]`` markers resolving to ``ctxs[n-1]``."""

    question: str
    text: str
    ctxs: list[Hit] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    mode: Mode = "extractive"
    warnings: list[str] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)

    def usage(self) -> dict[str, Any]:
        """Totals over the stages: tokens, cost (``None`` if any stage's cost is unknown),
        seconds, and the per-stage breakdown."""
        costs = [s.cost_usd for s in self.stages if s.skipped is None]
        return {
            "prompt_tokens": sum(s.tokens_in for s in self.stages),
            "completion_tokens": sum(s.tokens_out for s in self.stages),
            "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 6),
            "seconds": round(sum(s.seconds for s in self.stages), 3),
            "stages": {
                s.name: {
                    "seconds": round(s.seconds, 3),
                    "tokens_in": s.tokens_in,
                    "tokens_out": s.tokens_out,
                    "cost_usd": s.cost_usd,
                    **({"skipped": s.skipped} if s.skipped else {}),
                }
                for s in self.stages
            },
        }

    def trace(self) -> dict[str, Any]:
        """The ``--trace`` document (CONTRACT.md)."""
        return {
            "question": self.question,
            "mode": self.mode,
            "stages": [s.to_dict() for s in self.stages],
        }

    def to_json(self, *, zero_based: bool = False, with_trace: bool = False) -> dict[str, Any]:
        """The ``ask --json`` document: ``input, output, ctxs, references, mode, usage,
        warnings`` (+ ``citations``, ``trace``)."""
        from litsynth.synthesize.markers import shift_markers

        output = shift_markers(self.text, -1) if zero_based else self.text
        doc: dict[str, Any] = {
            "input": self.question,
            "output": output,
            "ctxs": [h.to_ctx() for h in self.ctxs],
            "references": [r.to_dict() for r in self.references],
            "mode": self.mode,
            "usage": self.usage(),
            "warnings": list(self.warnings),
            "citations": [c.to_dict() for c in self.citations],
        }
        if with_trace:
            doc["trace"] = self.trace()
        return doc
