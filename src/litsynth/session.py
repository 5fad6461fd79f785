"""``Litsynth``: the operations users run, in one object that holds the loaded parts.

The CLI is a thin layer over this class; Python users get the same operations::

    from litsynth import Litsynth, load_settings
    with Litsynth(load_settings(overrides={"home": "/data/ls"})) as ls:
        ls.ingest(["papers.jsonl"])
        answer = ls.ask("Does X cause Y?")
        print(answer.text)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litsynth.config import Settings, load_settings
from litsynth.errors import UsageError
from litsynth.records import Answer, Hit, Stage
from litsynth.retrieve.fusion import best_per_paper, cap_per_paper
from litsynth.retrieve.retriever import Retrieval, Retriever
from litsynth.sources.base import SearchFilters
from litsynth.sources.live import LIVE_SOURCES
from litsynth.sources.local import LocalSource
from litsynth.synthesize.references import build_references

if TYPE_CHECKING:
    from litsynth.corpus.ingest import IngestReport
    from litsynth.index.datastore import Datastore
    from litsynth.index.encoder import Encoder
    from litsynth.llm.base import LLM


@dataclass
class SearchResult:
    """Hits of one search (best first) and warnings from sources that failed."""

    hits: list[Hit]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Litsynth:
    """A datastore plus the models around it. Models load lazily, on first use."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        llm: str | bool | None = None,
    ) -> None:
        """``llm``: ``False`` forces extractive answers, a string selects a backend (URL, .gguf
        path, installed model name), ``None`` uses ``settings.llm.backend`` or the default."""
        self.settings = settings or load_settings()
        self._llm_choice = llm
        if self.settings.offline:
            from litsynth.sources.netguard import install_offline_guard

            install_offline_guard()

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Litsynth:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the datastore if it was opened."""
        if "datastore" in self.__dict__:
            self.datastore.close()

    # -- parts -------------------------------------------------------------------------------
    @cached_property
    def datastore(self) -> Datastore:
        """The existing datastore in ``settings.home`` (a mistyped home is an error, not a new
        empty store); :meth:`ingest` and :meth:`open_store` create one."""
        from litsynth.index.datastore import Datastore

        return Datastore.open(self.settings, create=False)

    def open_store(self) -> Datastore:
        """The datastore, created in ``settings.home`` if it does not exist yet."""
        if "datastore" not in self.__dict__:
            from litsynth.index.datastore import Datastore

            self.__dict__["datastore"] = Datastore.open(self.settings, create=True)
        return self.datastore

    @cached_property
    def encoder(self) -> Encoder:
        from litsynth.index.encoder import get_encoder

        emb = self.settings.embedding
        return get_encoder(emb.model, emb.device, emb.batch_size)

    @cached_property
    def llm(self) -> LLM | None:
        """The configured LM, or ``None`` for extractive mode."""
        if self._llm_choice is False:
            return None
        from litsynth.llm.factory import load_llm

        settings = self.settings
        if isinstance(self._llm_choice, str):
            settings = settings.model_copy(
                update={"llm": settings.llm.model_copy(update={"backend": self._llm_choice})}
            )
        return load_llm(settings)

    @cached_property
    def judge(self):  # type: ignore[no-untyped-def]
        from litsynth.synthesize.judges import make_judge

        needs_llm = self.settings.verify.judge == "lm"
        return make_judge(
            self.settings.verify, encoder=self.encoder, llm=self.llm if needs_llm else None
        )

    @cached_property
    def reranker(self):  # type: ignore[no-untyped-def]
        """The configured reranker (a cross-encoder model loads once per session)."""
        from litsynth.retrieve.rerank import make_reranker

        needs_llm = self.settings.rerank.backend == "lm"
        return make_reranker(self.settings.rerank, llm=self.llm if needs_llm else None)

    def retriever(self, sources: Sequence[str] | None = None) -> Retriever:
        """A retriever over ``sources`` (default: ``settings.retrieval.sources``)."""
        from litsynth.sources.registry import build_live_sources

        names = list(sources or self.settings.retrieval.sources)
        # Validates every name (unknown -> UsageError, live while offline -> UsageError).
        live = build_live_sources(names, self.settings)
        local = LocalSource(self.datastore, self.settings.retrieval) if "local" in names else None
        return Retriever(
            local, live, rrf_k=self.settings.retrieval.rrf_k, live_k=self.settings.retrieval.live_k
        )

    # -- operations --------------------------------------------------------------------------
    def ingest(
        self, paths: Sequence[str | Path], fmt: str = "auto", *, progress: bool = True
    ) -> IngestReport:
        """Read, chunk, embed and store the papers in ``paths`` (files or folders)."""
        from litsynth.corpus.ingest import ingest

        return ingest(self.open_store(), [Path(p) for p in paths], fmt, progress=progress)

    def status(self) -> dict[str, Any]:
        """Counts and sizes of the datastore."""
        return self.datastore.stats()

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        sources: Sequence[str] | None = None,
        rerank: bool = True,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """The top ``k`` passages for ``query`` (at most ``retrieval.per_paper`` per paper).
        When fewer than ``k`` come back, a warning says how many and why."""
        started = time.perf_counter()
        retrieval = self.retriever(sources).retrieve(query, k, filters)
        hits = retrieval.hits
        warnings = list(retrieval.warnings)
        if rerank:
            hits, rerank_warnings = self._rerank(query, hits, k)
            warnings += rerank_warnings
        per_paper = self.settings.retrieval.per_paper
        kept = cap_per_paper(hits, per_paper)
        if len(kept) < k:
            warnings.append(_shortfall(k, len(kept), retrieval, len(hits), per_paper))
        return SearchResult(kept[:k], warnings, time.perf_counter() - started)

    def search_batch(
        self, queries: Sequence[tuple[str, str]], k: int = 100, *, rerank: bool = False
    ) -> dict[str, list[tuple[str, float]]]:
        """For evaluation: per query id, ``k`` distinct papers as ``(raw docid, score)``, a
        paper's score being its best passage's; local datastore only."""
        local = LocalSource(self.datastore, self.settings.retrieval)
        texts = [text for _, text in queries]
        results: dict[str, list[tuple[str, float]]] = {}
        for (qid, text), hits in zip(queries, local.candidates_many(texts, k), strict=True):
            if rerank:
                hits, _ = self._rerank(text, hits, k)
            papers = best_per_paper(hits)[:k]
            results[qid] = [(hit.paper.raw_id(), hit.score) for hit in papers]
        return results

    def ask(
        self,
        question: str,
        *,
        sources: Sequence[str] | None = None,
        filters: SearchFilters | None = None,
    ) -> Answer:
        """A cited synthesis for ``question``: LM mode when an LM is configured or installed,
        else extractive. Every citation is verified before the answer is returned."""
        question = question.strip()
        if not question:
            raise UsageError("the question is empty")
        retriever = self.retriever(sources)
        llm = self.llm
        if llm is None:
            answer = self._extractive(question, retriever, filters)
        else:
            answer = self._lm_answer(question, retriever, llm, filters)
        answer.references = build_references(answer.text, answer.ctxs)
        return answer

    def save_cited_sources(self, answer: Answer) -> int:
        """Store the papers an answer cited from live sources in the datastore (with their
        cited passages); returns how many papers were new or enriched."""
        live_hits = [
            answer.ctxs[i]
            for ref in answer.references
            for i in ref.ctx_indices
            if answer.ctxs[i].paper.source in LIVE_SOURCES
        ]
        if not live_hits:
            return 0
        return self.datastore.add_hits(live_hits)

    # -- internals ---------------------------------------------------------------------------
    def _rerank(self, query: str, hits: list[Hit], k: int) -> tuple[list[Hit], list[str]]:
        """Rerank the first ``rerank.candidates`` hits; when ``k`` results are wanted and that
        is more, rerank them all, since a cut at ``rerank.candidates`` would return fewer than
        ``k`` (and the per-paper cap that follows needs the spare ones)."""
        from litsynth.retrieve.rerank import RerankReport

        report = RerankReport()
        depth = self.settings.rerank.candidates
        candidates = hits if k > depth else hits[:depth]
        return self.reranker.rerank(query, candidates, report=report), report.warnings

    def _extractive(
        self, question: str, retriever: Retriever, filters: SearchFilters | None
    ) -> Answer:
        from litsynth.synthesize.extractive import extractive_answer

        retrieval = retriever.retrieve(question, self.settings.retrieval.top_n, filters)
        started = time.perf_counter()
        hits, rerank_warnings = self._rerank(
            question, retrieval.hits, self.settings.retrieval.top_n
        )
        top = cap_per_paper(hits, self.settings.retrieval.per_paper)[
            : self.settings.retrieval.top_n
        ]
        retrieve_stage = Stage(
            name="retrieve",
            seconds=retrieval.seconds + time.perf_counter() - started,
            cost_usd=0.0,
            data={
                "sources": retriever.source_names,
                "per_source": retrieval.per_source,
                "candidates": len(retrieval.hits),
                "reranker": self.reranker.name,
                "passages": [_hit_summary(h) for h in top],
            },
        )
        answer = extractive_answer(question, top, self.encoder)
        answer.stages.insert(0, retrieve_stage)
        answer.warnings[:0] = retrieval.warnings + rerank_warnings
        self._verify(answer)
        return answer

    def _lm_answer(
        self,
        question: str,
        retriever: Retriever,
        llm: LLM,
        filters: SearchFilters | None,
    ) -> Answer:
        from litsynth.synthesize.extractive import extractive_answer, has_relevant_evidence
        from litsynth.synthesize.pipeline import answer_with_lm

        warnings: list[str] = []

        def retrieve(query: str, k: int) -> list[Hit]:
            retrieval = retriever.retrieve(query, k, filters)
            warnings.extend(w for w in retrieval.warnings if w not in warnings)
            return retrieval.hits

        def fallback(q: str, hits: list[Hit]) -> Answer:
            answer = extractive_answer(q, hits, self.encoder)
            self._verify(answer)
            return answer

        answer = answer_with_lm(
            question,
            retrieve=retrieve,
            llm=llm,
            reranker=self.reranker,
            judge=self.judge,
            settings=self.settings,
            fallback=fallback,
            evidence_check=lambda q, hits: has_relevant_evidence(q, hits, self.encoder),
        )
        answer.warnings[:0] = warnings
        return answer

    def _verify(self, answer: Answer) -> None:
        """Verify an extractive answer's citations in place and add the stage."""
        from litsynth.synthesize.verify import verify_answer

        started = time.perf_counter()
        if not answer.ctxs:
            answer.stages.append(Stage(name="verification", skipped="no citations"))
            return
        result = verify_answer(answer.text, [h.passage.text for h in answer.ctxs], self.judge)
        answer.text = result.text
        answer.citations = result.citations
        answer.warnings.extend(result.warnings)
        answer.stages.append(
            Stage(
                name="verification",
                seconds=time.perf_counter() - started,
                cost_usd=0.0,
                data={
                    "judge": getattr(self.judge, "name", type(self.judge).__name__),
                    "citations": [c.to_dict() for c in result.citations],
                },
            )
        )


def _shortfall(k: int, returned: int, retrieval: Retrieval, reranked: int, per_paper: int) -> str:
    """Why a search returned ``returned`` < ``k`` results: the sources gave too few candidates
    (a small datastore, narrow filters, a live source's single page), the reranker saw only
    ``reranked`` of them, or the per-paper cap removed some."""
    found = len(retrieval.hits)
    reasons: list[str] = []
    if found < k:
        counts = ", ".join(f"{name}: {n}" for name, n in retrieval.per_source.items())
        reasons.append(f"the sources gave {found} candidate passages ({counts})")
        if any(name in LIVE_SOURCES for name in retrieval.per_source):
            reasons.append("a live source returns one page of results per query")
    if reranked < found:
        reasons.append(f"only the first {reranked} were reranked (rerank.candidates)")
    if returned < reranked:
        reasons.append(f"retrieval.per_paper keeps at most {per_paper} passages per paper")
    return f"returned {returned} of {k} requested results: " + "; ".join(reasons)


def _hit_summary(hit: Hit) -> dict[str, Any]:
    return {
        "passage_id": hit.passage.id,
        "paper_id": hit.paper.id,
        "title": hit.paper.title,
        "scores": hit.scores,
        "score": hit.score,
    }
