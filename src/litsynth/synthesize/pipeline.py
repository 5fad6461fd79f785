"""The OpenScholar loop with a language model: one question -> a verified, cited Answer.

    retrieve -> rerank -> draft -> feedback -> feedback_retrieve -> revise -> judge -> verification

Every stage is recorded in ``Answer.stages`` (CONTRACT.md trace names, in that order); a stage
that does not run is present with ``skipped`` and the reason. Model output is untrusted: marker
forms are normalised, markers beyond the evidence set are dropped, appended reference lists are
stripped, and malformed structured output degrades the answer with a warning. A revision is kept
only when a pairwise LM judgement prefers it with the answers shown in both orders; never by
its length.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litsynth.errors import LLMError, LLMUnavailable
from litsynth.llm.base import LLM, Completion
from litsynth.llm.structured import chat_json
from litsynth.records import Answer, Hit, Stage
from litsynth.retrieve.rerank import Reranker, RerankReport, select_top
from litsynth.synthesize import prompts
from litsynth.synthesize.claims import split_answer
from litsynth.synthesize.extractive import NO_EVIDENCE, irrelevant_hits_warning
from litsynth.synthesize.judges import has_negation, stems
from litsynth.synthesize.markers import (
    find_markers,
    markers_before_punctuation,
    normalise_markers,
    passage_mentions_to_markers,
    renumber_markers,
    strip_markers,
)
from litsynth.synthesize.references import build_references
from litsynth.synthesize.verify import verify_answer

if TYPE_CHECKING:
    from litsynth.config import Settings
    from litsynth.synthesize.judges import SupportJudge

Retrieve = Callable[[str, int], list[Hit]]
Fallback = Callable[[str, list[Hit]], Answer]
EvidenceCheck = Callable[[str, list[Hit]], bool]
Progress = Callable[[str], None]

#: Stage names in trace order (CONTRACT.md).
STAGES = (
    "retrieve",
    "rerank",
    "draft",
    "feedback",
    "feedback_retrieve",
    "revise",
    "judge",
    "verification",
)
#: New passages a single feedback query, and all of them together, may add to the evidence
#: set: each added passage is about 170 prompt tokens in the revision and both judgements.
NEW_PASSAGES_PER_QUERY = 2
NEW_PASSAGES_TOTAL = 4
#: Completion budget of the small structured calls.
FEEDBACK_TOKENS_PER_ITEM = 70  # prompts.FEEDBACK_CHARS + QUERY_CHARS at ~4 chars a token
JUDGE_TOKENS = 12

LM_ABSTAINED = (
    "The retrieved passages do not contain enough evidence to answer this question, so no "
    "answer is given."
)

_REFERENCE_HEADING = re.compile(
    r"^[ \t]*(?:#+[ \t]*)?\**(?:references|sources|bibliography|citations|works cited)"
    r"[ \t]*:?[ \t]*\**:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_REFERENCE_LINE = re.compile(r"^\s*(?:[-*]\s*)?\[\d+\]\s*\S")


def strip_reference_list(text: str) -> str:
    """``text`` without a reference list the model appended: everything from a ``References``
    (or ``Sources``, ``Bibliography``…) heading line on, or two or more trailing lines that
    start with a marker (``[1] Smith et al. …``)."""
    heading = _REFERENCE_HEADING.search(text)
    if heading:
        text = text[: heading.start()]
    lines = text.rstrip().split("\n")
    tail = 0
    while tail < len(lines) and _REFERENCE_LINE.match(lines[len(lines) - 1 - tail]):
        tail += 1
    if tail >= 2:
        lines = lines[: len(lines) - tail]
    return "\n".join(lines).strip()


_SENTENCE_DONE = re.compile(r"(?:[.!?][\"')\]]*|\])[ \t]*$")


def drop_unfinished_sentence(text: str) -> str:
    """``text`` without its last sentence when that one was cut off (no final punctuation or
    marker): what a completion stopped by ``max_tokens`` leaves at its end. Text with no
    finished sentence at all is returned as it is."""
    text = text.rstrip()
    if _SENTENCE_DONE.search(text):
        return text
    ends = list(re.finditer(r"[.!?][\"')\]]*(?=\s)|\](?=\s)", text))
    return text[: ends[-1].end()] if ends else text


_ECHOED_DELIMITER = re.compile(r"<\s*/?\s*passages\s*>[^\w\s]*\s*", re.IGNORECASE)
_ANSWER_LEAD_IN = re.compile(
    r"(?:^|(?<=[.!?\]]\s))(?:the\s+)?(?:final\s+)?answer(?:\s+is)?\s*:\s*",
    re.IGNORECASE | re.MULTILINE,
)


#: "…, as presented in passage 1 [1]": the prompt's numbering spelled out next to a marker.
_PASSAGE_ASIDE = re.compile(
    r",?\s*(?:as\s+)?(?:presented|described|stated|shown|mentioned|reported|discussed|noted)"
    r"\s+in\s+(?:the\s+)?passages?\s+\d+(?=\s*[\[.!?,;]|$)",
    re.IGNORECASE,
)
#: "According to passage 3, …" / "In passage 2, …" opening a sentence.
_PASSAGE_LEAD_IN = re.compile(
    r"(?:^|(?<=[.!?\]]\s))(?:according\s+to|in|as\s+(?:stated|shown)\s+in)\s+(?:the\s+)?"
    r"passages?\s+\d+(?:\s*(?:,|and)\s*\d+)*\s*,\s*(\w)",
    re.IGNORECASE | re.MULTILINE,
)


def strip_prompt_echo(text: str) -> str:
    """``text`` without what a model echoes of its prompt: the ``<passages>`` delimiters, an
    "The answer is:" lead-in at a sentence start, and passage numbers spelled out ("as shown
    in passage 2", "According to passage 3, …"; the markers carry the attribution)."""
    text = _ANSWER_LEAD_IN.sub("", _ECHOED_DELIMITER.sub("", text))
    text = _PASSAGE_LEAD_IN.sub(lambda m: m.group(1).upper(), text)
    return _PASSAGE_ASIDE.sub("", text)


def strip_copied_titles(text: str, titles: list[str]) -> str:
    """``text`` without the ``Title: `` prefixes a model copies from the passage block
    (``"[3] Title: text"``) in front of a passage's sentences."""
    for title in {prompts.quote_passage(t, 200) for t in titles if t and t.strip()}:
        text = text.replace(f"{title}: ", "")
    return text


#: Share of content-word stems two sentences must share (same negation) to count as one.
NEAR_REPEAT = 0.75


def _repeats(words: set[str], negated: bool, earlier: list[tuple[set[str], bool]]) -> bool:
    return any(
        negated == other_negated and len(words & other) >= NEAR_REPEAT * len(words | other)
        for other, other_negated in earlier
    )


def drop_repeated_sentences(text: str) -> str:
    """``text`` without sentences that repeat an earlier one (markers, case and a word or two
    aside: at least ``NEAR_REPEAT`` of their content-word stems shared, and the same negation):
    small models loop, and a repeat adds nothing but a second citation."""
    seen: list[tuple[set[str], bool]] = []
    pieces: list[str] = []
    cursor = 0
    for sentence in split_answer(text):
        words, negated = stems(sentence.text), has_negation(sentence.text)
        if not words:
            continue
        if _repeats(words, negated, seen):
            pieces.append(text[cursor : sentence.start].rstrip(" \t"))
            cursor = sentence.end
        seen.append((words, negated))
    if not cursor:
        return text
    pieces.append(text[cursor:])
    # A dropped sentence that opened a paragraph leaves the next one's space at line start.
    return re.sub(r"(?m)^[ \t]+", "", "".join(pieces)).strip()


def clean_lm_text(
    text: str,
    n_ctxs: int,
    *,
    titles: list[str] | None = None,
    truncated: bool = False,
) -> tuple[str, list[int]]:
    """Model text made safe to verify: reference list stripped, markers in the adjacent form
    (``[1, 2]`` and ``(passages 1 and 2)`` -> ``[1][2]``) and in front of the sentence's final
    punctuation, markers outside ``1..n_ctxs`` removed; a text of markers alone becomes empty.
    ``titles`` (of the passages shown) are removed where copied as a sentence prefix; with
    ``truncated`` (the completion hit ``max_tokens``) the cut-off last sentence is dropped.
    Echoed prompt scaffolding goes (:func:`strip_prompt_echo`), and a sentence that repeats
    an earlier one is kept once (:func:`drop_repeated_sentences`). Returns the text and the
    removed marker numbers."""
    text = strip_reference_list(text.strip())
    if truncated:
        text = drop_unfinished_sentence(text)
    text = strip_prompt_echo(text)
    if titles:
        text = strip_copied_titles(text, titles)
    text = passage_mentions_to_markers(text)
    text = drop_repeated_sentences(markers_before_punctuation(normalise_markers(text)))
    invalid = sorted({n for n in find_markers(text) if not 1 <= n <= n_ctxs})
    if invalid:
        text = renumber_markers(text, dict.fromkeys(invalid))
        text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
        text = re.sub(r"[ \t]{2,}", " ", text)
    return (text.strip() if has_words(text) else ""), invalid


def has_words(text: str) -> bool:
    """Whether ``text`` says anything besides citation markers."""
    return bool(re.search(r"[A-Za-z]{2}", strip_markers(text)))


def is_abstention(raw: str) -> bool:
    """Whether the model said the passages cannot answer: it wrote the sentinel and nothing
    else but markers (an answer that also mentions the sentinel is kept, minus the
    sentinel)."""
    return prompts.INSUFFICIENT in raw and not has_words(raw.replace(prompts.INSUFFICIENT, ""))


def _passage_texts(hits: list[Hit]) -> list[prompts.PassageText]:
    return [(h.paper.title, h.passage.text) for h in hits]


def _brief(hit: Hit) -> dict[str, Any]:
    """A hit as the trace shows it: ids and every score it has."""
    return {
        "passage_id": hit.passage.id,
        "paper_id": hit.paper.id,
        "score": round(hit.score, 6),
        "scores": {k: v for k, v in hit.scores.items() if v is not None},
    }


@dataclass
class _StageClock:
    """Times one stage and collects the LM calls made in it."""

    name: str
    started: float = field(default_factory=time.perf_counter)
    completions: list[Completion] = field(default_factory=list)

    def done(self, data: dict[str, Any]) -> Stage:
        calls = self.completions
        costs = [c.cost_usd for c in calls]
        if calls:
            data["evaluated_prompt_tokens"] = sum(c.evaluated_prompt_tokens for c in calls)
        return Stage(
            name=self.name,
            seconds=time.perf_counter() - self.started,
            tokens_in=sum(c.prompt_tokens for c in calls),
            tokens_out=sum(c.completion_tokens for c in calls),
            cost_usd=None if any(c is None for c in costs) else float(sum(c for c in costs if c)),
            data=data,
        )


@dataclass
class _FeedbackItem:
    feedback: str
    query: str | None


def parse_feedback(data: Any, max_items: int) -> list[_FeedbackItem] | None:
    """``{"items": [{"feedback", "query"}]}`` (or the bare list) -> at most ``max_items``
    items; ``None`` when the reply has no usable item list. Items without text are dropped."""
    raw = data.get("items") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        return None
    items: list[_FeedbackItem] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("feedback"), str):
            continue
        feedback = entry["feedback"].strip()
        query = entry.get("query")
        query = query.strip() if isinstance(query, str) and query.strip() else None
        if feedback:
            items.append(_FeedbackItem(feedback, query))
    return items[:max_items]


class _Run:
    """State of one question through the loop."""

    def __init__(
        self,
        question: str,
        *,
        retrieve: Retrieve,
        llm: LLM,
        reranker: Reranker,
        judge: SupportJudge,
        settings: Settings,
        fallback: Fallback,
        progress: Progress | None,
        evidence_check: EvidenceCheck | None = None,
    ) -> None:
        self.question = question
        self.retrieve = retrieve
        self.llm = llm
        self.reranker = reranker
        self.judge = judge
        self.settings = settings
        self.fallback = fallback
        self.progress = progress
        self.evidence_check = evidence_check
        self.answer = Answer(question=question, text="", mode="lm")
        self.ctxs: list[Hit] = []

    # ------------------------------------------------------------------ helpers

    def _start(self, name: str) -> _StageClock:
        if self.progress is not None:
            self.progress(name)
        return _StageClock(name)

    def _add(self, stage: Stage) -> None:
        self.answer.stages.append(stage)

    def _skip(self, reason: str, *, before: str | None = None) -> None:
        """Add every stage not yet run (up to ``before``, exclusive) as skipped."""
        done = {s.name for s in self.answer.stages}
        names = STAGES[: STAGES.index(before)] if before else STAGES
        for name in names:
            if name not in done:
                self._add(Stage(name, cost_usd=0.0, skipped=reason))

    def _warn(self, message: str) -> None:
        self.answer.warnings.append(message)

    def _abstain(self, text: str, reason: str) -> Answer:
        self.answer.text = text
        self.answer.ctxs = []
        self.answer.citations = []
        self.answer.references = []
        self._skip(reason)
        return self.answer

    def _rerank(self, query: str, hits: list[Hit], report: RerankReport) -> list[Hit]:
        ranked = self.reranker.rerank(query, hits, report=report)
        self.answer.warnings.extend(report.warnings)
        return ranked

    def _write(self, clock: _StageClock, messages: list[dict[str, str]]) -> Completion:
        """One answer-writing call (draft or revision); with ``llm.cite_grammar`` the output
        is constrained so that every sentence ends with a marker into the current passages
        (on backends that take a grammar)."""
        grammar = None
        if self.settings.llm.cite_grammar:
            grammar = prompts.cited_answer_grammar(len(self.ctxs))
        completion = self.llm.chat(
            messages,
            max_tokens=self.settings.llm.max_tokens,
            temperature=self.settings.llm.temperature,
            grammar=grammar,
        )
        clock.completions.append(completion)
        return completion

    def _clean(self, completion: Completion) -> tuple[str, list[int]]:
        return clean_lm_text(
            completion.text.replace(prompts.INSUFFICIENT, ""),
            len(self.ctxs),
            titles=[h.paper.title for h in self.ctxs],
            truncated=completion.finish_reason == "length",
        )

    # ------------------------------------------------------------------ stages

    def run(self) -> Answer:
        if not self._retrieve_and_rerank():
            return self._abstain(NO_EVIDENCE, "no evidence")
        if self.evidence_check is not None and not self.evidence_check(self.question, self.ctxs):
            # Without this the model writes an answer from unrelated passages anyway.
            self._warn(irrelevant_hits_warning(len(self.ctxs)))
            return self._abstain(NO_EVIDENCE, "no passage is relevant to the question")
        draft = self._draft()
        if draft is None:
            return self.answer
        if draft == prompts.INSUFFICIENT:
            # The relevance check passed, so the user should hear that passages existed.
            self._warn(
                f"the language model judged the {len(self.ctxs)} retrieved passages "
                "insufficient; --no-llm quotes the most relevant ones, --trace lists them"
            )
            return self._abstain(LM_ABSTAINED, "the LM found the evidence insufficient")
        text = self._refine(draft)
        return self._verify(text)

    def _retrieve_and_rerank(self) -> bool:
        settings = self.settings
        clock = self._start("retrieve")
        k = settings.rerank.candidates
        hits = self.retrieve(self.question, k)
        self._add(
            clock.done({"query": self.question, "k": k, "passages": [_brief(h) for h in hits]})
        )
        if not hits:
            return False
        clock = self._start("rerank")
        report = RerankReport()
        ranked = self._rerank(self.question, hits, report)
        clock.completions.extend(report.completions)
        self.ctxs = select_top(
            ranked,
            settings.retrieval.per_paper,
            settings.retrieval.top_n,
            min_score=settings.retrieval.min_score,
        )
        self._add(
            clock.done(
                {
                    "reranker": getattr(self.reranker, "name", type(self.reranker).__name__),
                    "passages_in": len(hits),
                    "passages_out": [_brief(h) for h in self.ctxs],
                    "warnings": report.warnings,
                }
            )
        )
        return bool(self.ctxs)

    def _draft(self) -> str | None:
        """The cleaned draft, ``INSUFFICIENT`` when the LM abstains, or ``None`` when the
        extractive fallback has produced the answer."""
        clock = self._start("draft")
        try:
            completion = self._write(clock, prompts.draft_messages(self.question, self._passages()))
        except LLMUnavailable:
            raise  # a setup problem: the user asked for this LM and must hear it is not there
        except LLMError as exc:
            self._add(clock.done({"error": str(exc)}))
            self._use_fallback(f"LM draft failed ({exc}); extractive synthesis used instead")
            return None
        raw = completion.text
        if is_abstention(raw):
            self._add(clock.done({"raw": raw, "abstained": True}))
            return prompts.INSUFFICIENT
        text, dropped = self._clean(completion)
        self._note_dropped("draft", dropped)
        self._add(clock.done({"raw": raw, "text": text, "dropped_markers": dropped}))
        if not text:
            what = (
                "LM draft had no text besides citation markers or a reference list"
                if raw.strip()
                else "LM returned an empty draft"
            )
            self._use_fallback(f"{what}; extractive synthesis used instead")
            return None
        return text

    def _use_fallback(self, warning: str) -> None:
        fallback = self.fallback(self.question, self.ctxs)
        ours = self.answer.stages
        fallback.stages = ours + [s for s in fallback.stages if s.name not in {"retrieve"}]
        fallback.warnings = [*self.answer.warnings, warning, *fallback.warnings]
        self.answer = fallback

    def _note_dropped(self, stage: str, dropped: list[int]) -> None:
        if dropped:
            listed = "".join(f"[{n}]" for n in dropped)
            self._warn(
                f"{stage}: removed citations to passages that do not exist: {listed} "
                f"(the evidence set has {len(self.ctxs)})"
            )

    def _passages(self) -> list[prompts.PassageText]:
        return _passage_texts(self.ctxs)

    def _refine(self, draft: str) -> str:
        """Feedback, feedback retrieval, revision and judgement; returns the text to verify."""
        feedback = self.settings.feedback
        if not feedback.enabled or feedback.max_items == 0:
            self._skip("feedback disabled", before="verification")
            return draft
        items = self._feedback(draft)
        if items is None:
            self._skip("feedback failed", before="verification")
            return draft
        if not items:
            self._skip("no feedback items", before="verification")
            return draft
        self._feedback_retrieve(items)
        revision = self._revise(draft, items)
        if revision is None:
            self._skip("no usable revision", before="verification")
            return draft
        if not feedback.judge:
            self._add(Stage("judge", cost_usd=0.0, skipped="judge disabled: revision kept"))
            self._record_decision(kept=True, reason="judge disabled")
            return revision
        return revision if self._judge(draft, revision) else draft

    def _feedback(self, draft: str) -> list[_FeedbackItem] | None:
        clock = self._start("feedback")
        max_items = self.settings.feedback.max_items
        data, completions, warnings = chat_json(
            self.llm,
            prompts.feedback_messages(self.question, self._passages(), draft, max_items),
            prompts.feedback_schema(max_items),
            max_tokens=20 + FEEDBACK_TOKENS_PER_ITEM * max_items,
        )
        clock.completions.extend(completions)
        items = parse_feedback(data, max_items)
        self.answer.warnings.extend(f"feedback: {w}" for w in warnings)
        if items is None:
            self._warn("feedback output was not usable; kept the draft")
        self._add(
            clock.done(
                {
                    "items": [vars(i) for i in items or []],
                    "raw": completions[-1].text if completions else "",
                }
            )
        )
        return items

    def _feedback_retrieve(self, items: list[_FeedbackItem]) -> None:
        queries = list({i.query.lower(): i.query for i in items if i.query}.values())
        if not queries:
            self._add(Stage("feedback_retrieve", cost_usd=0.0, skipped="no feedback queries"))
            return
        clock = self._start("feedback_retrieve")
        settings = self.settings
        known = {h.passage.id for h in self.ctxs}
        first_count = len(self.ctxs)
        per_query: list[dict[str, Any]] = []
        for query in queries:
            hits = self.retrieve(query, settings.rerank.candidates)
            report = RerankReport()
            ranked = self._rerank(query, hits, report)
            clock.completions.extend(report.completions)
            room = NEW_PASSAGES_TOTAL - (len(self.ctxs) - first_count)
            added = self._append_new(ranked, known, min(room, NEW_PASSAGES_PER_QUERY))
            per_query.append(
                {
                    "query": query,
                    "retrieved": len(hits),
                    "added": [{**_brief(h), "marker": self.ctxs.index(h) + 1} for h in added],
                }
            )
        self._add(clock.done({"queries": per_query, "ctxs": len(self.ctxs)}))

    def _append_new(self, ranked: list[Hit], known: set[str], limit: int) -> list[Hit]:
        """Append up to ``limit`` unseen passages, keeping the per-paper cap; existing
        passages keep their numbers."""
        per_paper = self.settings.retrieval.per_paper
        min_score = self.settings.retrieval.min_score
        counts: dict[str, int] = {}
        for hit in self.ctxs:
            counts[hit.paper.id] = counts.get(hit.paper.id, 0) + 1
        added: list[Hit] = []
        for hit in ranked:
            if len(added) >= limit:
                break
            if hit.passage.id in known or hit.score < min_score:
                continue
            if counts.get(hit.paper.id, 0) >= per_paper:
                continue
            counts[hit.paper.id] = counts.get(hit.paper.id, 0) + 1
            known.add(hit.passage.id)
            self.ctxs.append(hit)
            added.append(hit)
        return added

    def _revise(self, draft: str, items: list[_FeedbackItem]) -> str | None:
        clock = self._start("revise")
        messages = prompts.revise_messages(
            self.question, self._passages(), draft, [i.feedback for i in items]
        )
        try:
            completion = self._write(clock, messages)
        except LLMError as exc:
            self._warn(f"revision failed ({exc}); kept the draft")
            self._add(clock.done({"error": str(exc), "kept": False, "reason": "LM error"}))
            return None
        raw = completion.text
        text, dropped = self._clean(completion)
        if not text or is_abstention(raw):
            self._warn("revision was empty or abstained; kept the draft")
            self._add(clock.done({"raw": raw, "kept": False, "reason": "empty revision"}))
            return None
        self._note_dropped("revision", dropped)
        self._add(clock.done({"raw": raw, "text": text, "dropped_markers": dropped}))
        return text

    def _record_decision(self, *, kept: bool, reason: str) -> None:
        revise = next(s for s in self.answer.stages if s.name == "revise")
        revise.data.update(kept=kept, reason=reason)

    def _judge(self, draft: str, revision: str) -> bool:
        """Asks the LM which answer is better, first with the draft shown first, then with the
        revision first; the revision is kept only when both judgements prefer it (a split
        vote is position bias). The second order is asked only when the first prefers the
        revision, since the draft wins otherwise."""
        clock = self._start("judge")
        passages = self._passages()
        texts = {"draft": draft, "revision": revision}
        votes: list[dict[str, Any]] = []
        for order in (("draft", "revision"), ("revision", "draft")):
            messages = prompts.judge_messages(
                self.question, passages, texts[order[0]], texts[order[1]]
            )
            data, completions, warnings = chat_json(
                self.llm, messages, prompts.judge_schema(), max_tokens=JUDGE_TOKENS
            )
            clock.completions.extend(completions)
            better = str(data.get("better", "")).strip().upper() if isinstance(data, dict) else ""
            prefers = {"A": order[0], "B": order[1]}.get(better[:1])
            votes.append({"order": list(order), "better": better or None, "prefers": prefers})
            if warnings:
                votes[-1]["warnings"] = warnings
            if prefers != "revision":
                break
        prefs = [v["prefers"] for v in votes]
        if prefs == ["revision", "revision"]:
            kept, reason = True, "the judge preferred the revision in both orders"
        elif None in prefs:
            kept, reason = False, "judgement unusable; kept the draft"
        elif prefs == ["draft"]:
            kept, reason = False, "the judge preferred the draft"
        else:
            kept, reason = False, "judgements disagreed between orders (position bias); kept draft"
        self._add(clock.done({"votes": votes, "kept": kept, "reason": reason}))
        self._record_decision(kept=kept, reason=reason)
        return kept

    def _verify(self, text: str) -> Answer:
        clock = self._start("verification")
        result = verify_answer(
            text,
            [h.passage.text for h in self.ctxs],
            self.judge,
            fix=True,
            passage_ids=[h.passage.id for h in self.ctxs],
        )
        self.answer.warnings.extend(result.warnings)
        self._add(clock.done({**result.to_dict(), "text_before": text}))
        survived = [
            c
            for c in result.citations
            if c.action != "removed" and c.verdict in ("supported", "unknown")
        ]
        if not survived:
            # The passages may still answer the question even if the model's wording did not
            # hold up: quote them (extractive) rather than return nothing.
            self._use_fallback(
                "no citation of the LM answer was supported by its passage; "
                "extractive synthesis used instead"
            )
            return self.answer
        self.answer.text = result.text
        self.answer.citations = result.citations
        self.answer.ctxs = self.ctxs
        self.answer.references = build_references(result.text, self.ctxs)
        return self.answer


def answer_with_lm(
    question: str,
    *,
    retrieve: Retrieve,
    llm: LLM,
    reranker: Reranker,
    judge: SupportJudge,
    settings: Settings,
    fallback: Fallback,
    progress: Progress | None = None,
    evidence_check: EvidenceCheck | None = None,
) -> Answer:
    """Answer ``question`` with the LM loop (``mode="lm"``).

    ``retrieve(query, k)`` returns fused hits best first; ``judge`` checks citation support;
    ``fallback(question, hits)`` (the extractive synthesis) answers when the draft call fails,
    with a warning. ``progress(stage_name)`` is called as each stage starts.
    ``evidence_check(question, passages)`` (optional) says whether the selected passages are
    relevant at all; when it says no, the answer abstains before any LM call."""
    run = _Run(
        question,
        retrieve=retrieve,
        llm=llm,
        reranker=reranker,
        judge=judge,
        settings=settings,
        fallback=fallback,
        progress=progress,
        evidence_check=evidence_check,
    )
    return run.run()
