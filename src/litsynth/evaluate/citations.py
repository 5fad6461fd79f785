"""Citation precision and recall of answers, judged per sentence (ScholarQABench's metric).

A *support judge* decides whether passages support a claim: ``judge.score(claim, passages)``
returns one score in [0, 1] per passage and a passage supports the claim when its score is
``>= judge.threshold``. Each ctx is shown to the judge as ``"Title: <title>\\n<text>"``, as
the reference script does. Scores are fractions in [0, 1] (the reference prints them x100).

Strict mode (default)
---------------------
- The answer is split into lines (markdown headings are skipped, list bullets removed) and each
  line into sentences; a marker group written right after a sentence's full stop
  (``... results. [2] Next``) belongs to that sentence, not to the next one.
- Markers: every number of every group counts: ``[2][5]``, ``[2, 5]``, ``[2-4]``; a number
  repeated in one sentence counts once. ``[n]`` -> ``ctxs[n-1]`` (``zero_based``: ``ctxs[n]``).
- Recall, per sentence: 1 when the concatenation of its resolvable cited passages supports
  it. A cited sentence is always judged; an uncited sentence of at least ``min_words`` words
  is citation-worthy and scores 0. Shorter uncited sentences are not counted.
- Precision, per citation: 1 when the passage alone supports the sentence, or when the
  sentence is supported by all its citations and no longer supported once this one is removed
  (the citation is *needed*); else 0. A marker that resolves to no ctx is hallucinated and
  scores 0.
- Per answer: recall = mean over counted sentences, precision = mean over citations; an
  answer without counted sentences (or without citations) has no recall (precision) and is
  left out of that mean instead of scoring 0.

Compat mode (``compat=True``): the rules of ScholarQABench's
``scripts/citation_correctness_eval.py`` (``compute_autoais``), with the quirks strict fixes:

1. Sentences shorter than 50 characters (markers included) are skipped, even when they carry
   citations, so their citations are never checked.
2. Only the first number of a comma group is read (``[1, 2]`` -> ``[1]``): its pattern is
   ``\\[\\d+``.
3. A sentence without markers silently inherits the previous judged sentence's citations, so
   an uncited sentence can score as supported by passages its reader is never pointed to.
4. At most 3 citations per sentence are judged; further ones are ignored for both metrics.
5. Out-of-range markers zero the sentence's recall but are left out of the precision
   denominator, so a hallucinated citation never lowers precision.
6. Markers are 0-based (``[0]`` -> ``ctxs[0]``); pass ``zero_based=False`` to score 1-based
   answers under the compat rules.
7. When a multi-citation sentence is not jointly supported, all its citations score 0 even if
   one of them alone supports it; an answer with no citation scores precision 0 and one with
   no judged sentence recall 0.
8. Repeated markers are kept (``[0][0]`` judges ctx 0 twice, and each copy is found
   redundant).

One difference remains in compat mode: sentences are split by litsynth's splitter, not by
NLTK's Punkt model (not shipped here).

``hallucinated_reference_rate`` (both modes) = markers that resolve to no ctx / all markers,
counted over every number of every group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from litsynth.errors import LitsynthError
from litsynth.synthesize.markers import MARKER_GROUP, find_markers, strip_markers
from litsynth.text import split_sentences

#: Reference script: sentences shorter than this (markers included) are not judged.
COMPAT_MIN_CHARS = 50
#: Reference script: at most this many citations of a sentence are judged.
COMPAT_MAX_CITATIONS = 3

_LEADING_MARKERS = re.compile(r"^(?:\s*" + MARKER_GROUP.pattern + r")+")
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_COMPAT_MARKER = re.compile(r"\[(\d+)")


@runtime_checkable
class SupportJudge(Protocol):
    """Decides whether passages support a claim (e.g. ``AlignmentJudge``)."""

    name: str
    threshold: float

    def score(self, claim: str, passages: list[str]) -> list[float]:
        """One support score in [0, 1] per passage."""
        ...


@dataclass
class CitedSentence:
    """One sentence of an answer and what it cites. ``targets`` holds the 0-based ctx index of
    each citation, ``None`` where the marker resolves to no ctx."""

    claim: str
    markers: list[int]
    targets: list[int | None]
    carried: bool = False


@dataclass
class AnswerCitations:
    """Citation scores of one answer; ``recall``/``precision`` are ``None`` when undefined
    (strict mode only). ``sentences`` lists per-sentence verdicts for reports."""

    recall: float | None
    precision: float | None
    markers: int
    hallucinated: int
    sentences: list[dict[str, Any]] = field(default_factory=list)


def ctx_passage(ctx: dict[str, Any]) -> str:
    """A ctx as the judge sees it: ``Title: <title>\\n<text>`` (PubMedQA's dict-valued
    ``text`` is flattened to its ``contexts``)."""
    text = ctx.get("text", "")
    if isinstance(text, dict):
        text = " ".join(str(part) for part in text.get("contexts", []))
    title = ctx.get("title") or ""
    return f"Title: {title}\n{text}" if title else str(text)


def _resolve(marker: int, num_ctxs: int, zero_based: bool) -> int | None:
    index = marker if zero_based else marker - 1
    return index if 0 <= index < num_ctxs else None


def strict_sentences(
    output: str, num_ctxs: int, *, zero_based: bool = False, min_words: int = 5
) -> list[CitedSentence]:
    """The sentences strict mode counts: every cited sentence and every uncited one of at
    least ``min_words`` words, markers resolved against ``num_ctxs`` ctxs."""
    sentences: list[CitedSentence] = []
    for line in output.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pieces: list[str] = []
        for sentence in split_sentences(_BULLET.sub("", line)):
            leading = _LEADING_MARKERS.match(sentence)
            if leading and pieces:
                pieces[-1] += leading.group(0)
                sentence = sentence[leading.end() :].strip()
            if sentence:
                pieces.append(sentence)
        for piece in pieces:
            markers = list(dict.fromkeys(find_markers(piece)))
            claim = strip_markers(piece)
            if markers or len(claim.split()) >= min_words:
                targets = [_resolve(m, num_ctxs, zero_based) for m in markers]
                sentences.append(CitedSentence(claim, markers, targets))
    return sentences


def compat_sentences(output: str, num_ctxs: int, *, zero_based: bool = True) -> list[CitedSentence]:
    """The sentences the reference script judges (>= 50 characters), with its marker reading
    and its carry-over of the previous sentence's citations. A sentence with any out-of-range
    marker keeps ``None`` targets (the reference zeroes it and counts none of its citations)."""
    sentences: list[CitedSentence] = []
    previous: list[int | None] | None = None
    for raw in split_sentences(output):
        if len(raw) < COMPAT_MIN_CHARS:
            continue
        markers = [int(m) for m in _COMPAT_MARKER.findall(raw)]
        targets = [_resolve(m, num_ctxs, zero_based) for m in markers]
        carried = not markers and previous is not None
        if carried:
            targets = list(previous or [])
        elif targets and None not in targets:
            previous = targets
        sentences.append(CitedSentence(strip_markers(raw), markers, targets, carried))
    return sentences


def _supports(judge: SupportJudge, claim: str, passages: list[str]) -> list[bool]:
    scores = judge.score(claim, passages)
    if len(scores) != len(passages):
        raise LitsynthError(
            f"judge {judge.name} returned {len(scores)} scores for {len(passages)} passages"
        )
    return [score >= judge.threshold for score in scores]


def _strict_verdict(
    sentence: CitedSentence, passages: list[str], judge: SupportJudge
) -> tuple[bool, list[bool]]:
    """(sentence supported, per-citation precision) under the strict rules."""
    resolved = [t for t in sentence.targets if t is not None]
    if not resolved:
        return False, [False] * len(sentence.targets)
    texts = [passages[t] for t in resolved]
    joint = _supports(judge, sentence.claim, ["\n".join(texts)])[0]
    alone = [joint] if len(texts) == 1 else _supports(judge, sentence.claim, texts)
    precise: dict[int, bool] = {}
    for position, target in enumerate(resolved):
        if alone[position]:
            precise[target] = True
        elif joint:
            rest = [passages[t] for t in resolved if t != target]
            precise[target] = not _supports(judge, sentence.claim, ["\n".join(rest)])[0]
        else:
            precise[target] = False
    return joint, [t is not None and precise[t] for t in sentence.targets]


def _compat_verdict(
    sentence: CitedSentence, passages: list[str], judge: SupportJudge
) -> tuple[bool, list[bool]]:
    """(sentence supported, judged citations' precision) as ``compute_autoais`` computes it."""
    if not sentence.targets or None in sentence.targets:
        return False, []
    refs = [t for t in sentence.targets if t is not None][:COMPAT_MAX_CITATIONS]
    joint = _supports(judge, sentence.claim, ["\n".join(passages[t] for t in refs)])[0]
    if not (joint and len(refs) > 1):
        # The reference adds the sentence's verdict once, over len(refs) citations.
        return joint, [joint] + [False] * (len(refs) - 1)
    precise = []
    for target in refs:
        if _supports(judge, sentence.claim, [passages[target]])[0]:
            precise.append(True)
            continue
        rest = list(refs)
        rest.remove(target)
        rest_text = "\n".join(passages[t] for t in rest)
        precise.append(not _supports(judge, sentence.claim, [rest_text])[0])
    return joint, precise


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score_answer(
    output: str,
    ctxs: Sequence[dict[str, Any]],
    judge: SupportJudge,
    *,
    zero_based: bool = False,
    compat: bool = False,
    question: str | None = None,
) -> AnswerCitations:
    """Citation recall and precision of one answer. With ``question`` the answer is scored as
    one short-form claim, ``question + " " + answer`` (the reference's single-paper rule)."""
    passages = [ctx_passage(ctx) for ctx in ctxs]
    all_markers = find_markers(output)
    hallucinated = sum(_resolve(m, len(ctxs), zero_based) is None for m in all_markers)
    if question is not None:
        markers = (
            [int(m) for m in _COMPAT_MARKER.findall(output)]
            if compat
            else list(dict.fromkeys(all_markers))
        )
        targets = [_resolve(m, len(ctxs), zero_based) for m in markers]
        sentences = [CitedSentence(f"{question} {strip_markers(output)}", markers, targets)]
    elif compat:
        sentences = compat_sentences(output, len(ctxs), zero_based=zero_based)
    else:
        sentences = strict_sentences(output, len(ctxs), zero_based=zero_based)
    verdict = _compat_verdict if compat else _strict_verdict
    supported: list[float] = []
    precise: list[float] = []
    details: list[dict[str, Any]] = []
    for sentence in sentences:
        joint, per_citation = verdict(sentence, passages, judge)
        supported.append(float(joint))
        precise.extend(float(p) for p in per_citation)
        details.append(
            {
                "claim": sentence.claim,
                "markers": sentence.markers,
                "carried": sentence.carried,
                "supported": joint,
                "precise": per_citation,
            }
        )
    recall, precision = _mean(supported), _mean(precise)
    if compat:
        recall, precision = recall or 0.0, precision or 0.0
    return AnswerCitations(recall, precision, len(all_markers), hallucinated, details)


@dataclass
class CitationSummary:
    """Citation metrics over many answers (means of the per-answer values)."""

    citation_precision: float | None
    citation_recall: float | None
    hallucinated_reference_rate: float | None
    answers: int
    judge_failures: int
    per_answer: list[AnswerCitations | None]

    def metrics(self) -> dict[str, Any]:
        """The flat keys written to ``metrics.json``."""
        return {
            "citation_precision": self.citation_precision,
            "citation_recall": self.citation_recall,
            "hallucinated_reference_rate": self.hallucinated_reference_rate,
            "citation_judge_failures": self.judge_failures,
        }


def score_answers(
    answers: Iterable[dict[str, Any]],
    judge: SupportJudge,
    *,
    zero_based: bool = False,
    compat: bool = False,
    short_form: bool = False,
) -> CitationSummary:
    """Score answer documents (``output``, ``ctxs`` and, for ``short_form``, ``input``). An
    answer whose judge call fails (``LitsynthError``) is counted in ``judge_failures`` and
    left out of the means, never scored 0."""
    per_answer: list[AnswerCitations | None] = []
    failures = 0
    for answer in answers:
        try:
            per_answer.append(
                score_answer(
                    answer.get("output") or "",
                    answer.get("ctxs") or [],
                    judge,
                    zero_based=zero_based,
                    compat=compat,
                    question=(answer.get("input") or "") if short_form else None,
                )
            )
        except LitsynthError:
            failures += 1
            per_answer.append(None)
    scored = [a for a in per_answer if a is not None]
    markers = sum(a.markers for a in scored)
    hallucinated = sum(a.hallucinated for a in scored)
    return CitationSummary(
        citation_precision=_mean([a.precision for a in scored if a.precision is not None]),
        citation_recall=_mean([a.recall for a in scored if a.recall is not None]),
        hallucinated_reference_rate=hallucinated / markers if markers else None,
        answers=len(per_answer),
        judge_failures=failures,
        per_answer=per_answer,
    )


__all__ = [
    "COMPAT_MAX_CITATIONS",
    "COMPAT_MIN_CHARS",
    "AnswerCitations",
    "CitationSummary",
    "CitedSentence",
    "SupportJudge",
    "compat_sentences",
    "ctx_passage",
    "score_answer",
    "score_answers",
    "strict_sentences",
]
