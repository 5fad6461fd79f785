"""Citation verification: check that every cited passage supports its sentence; fix or flag.

For each sentence of an answer (``claims.split_answer``) the judge scores its cited passages
in one batched call. With ``fix`` (the default):

- a marker outside ``ctxs`` is removed (verdict ``out-of-range``);
- a citation scored below the judge's threshold is removed (``unsupported``), except when all
  of a sentence's citations fail alone but their passages together support it (then all are
  kept as ``supported``: the sentence combines them, as ScholarQABench's recall judges it);
- a citation the judge could not score (NaN) is kept with verdict ``unknown`` and a warning;
- a citation-worthy sentence left without a citation gets the best-scoring passage when it
  passes the threshold (``add_missing``), else it is flagged in the text with
  ``UNVERIFIED_FLAG`` before its final punctuation and listed in the warnings. A sentence is
  never dropped, sentences are never reordered, and ``ctxs`` are never touched, so markers
  keep indexing the same list.

Markers stay in the input's base: 1-based ``[n]`` -> ``ctxs[n-1]``, or with ``zero_based``
ScholarQABench's ``[0]`` -> ``ctxs[0]``. Sentence indexes (``S<i>``) are 0-based.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litsynth.records import Citation, SentenceVerdict
from litsynth.synthesize.claims import AnswerSentence, is_citation_worthy, split_answer
from litsynth.synthesize.markers import MARKER_GROUP, find_markers, format_markers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litsynth.synthesize.judges import SupportJudge

#: Appended (before the final punctuation) to a claim that no passage supports.
UNVERIFIED_FLAG = "(unverified)"
_END = re.compile(r"\s*(?:[.!?;:]+[\"')\]*_]*)?\s*$")
_MARKER_RUN = re.compile(
    r"(\s*)(" + MARKER_GROUP.pattern + r"(?:\s*" + MARKER_GROUP.pattern + r")*)"
)
_TRAILING_MARKERS = re.compile(r"(?:\s*" + MARKER_GROUP.pattern + r")+\s*$")


@dataclass
class SentenceCheck:
    """The verdict on one sentence: ``markers`` are the ones it carries after verification;
    ``score`` is the best support score seen for it (None when nothing was scored)."""

    index: int
    text: str
    verdict: SentenceVerdict
    score: float | None
    citation_worthy: bool
    markers: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    flagged: bool = False
    joint: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.index,
            "text": self.text,
            "verdict": self.verdict,
            "score": _rounded(self.score),
            "citation_worthy": self.citation_worthy,
            "markers": self.markers,
            "removed": self.removed,
            "added": self.added,
            "flagged": self.flagged,
            "joint": self.joint,
        }


@dataclass
class VerificationResult:
    """The corrected text, one Citation per (sentence, marker) in the input and per added
    citation, one SentenceCheck per sentence, warnings and summary counts.
    ``supported_share_*`` = share of citation-worthy sentences whose citations support them
    before and after the fixes (None when no sentence is citation-worthy)."""

    text: str
    citations: list[Citation]
    sentences: list[SentenceCheck]
    warnings: list[str]
    judge: str
    threshold: float
    zero_based: bool
    supported_share_before: float | None
    supported_share_after: float | None

    @property
    def counts(self) -> dict[str, int]:
        """Citations by verdict and action, and sentences flagged."""
        counts = {"citations": sum(c.action != "added" for c in self.citations)}
        for verdict in ("supported", "unsupported", "out-of-range", "unknown"):
            counts[verdict] = sum(
                c.verdict == verdict and c.action != "added" for c in self.citations
            )
        for action in ("removed", "added"):
            counts[action] = sum(c.action == action for c in self.citations)
        counts["flagged"] = sum(s.flagged for s in self.sentences)
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The ``verification`` key ``litsynth verify --out`` adds to each answer."""
        return {
            "judge": self.judge,
            "threshold": self.threshold,
            "zero_based": self.zero_based,
            "citations": [{**c.to_dict(), "score": _rounded(c.score)} for c in self.citations],
            "sentences": [s.to_dict() for s in self.sentences],
            "warnings": self.warnings,
            "counts": self.counts,
            "supported_share_before": _rounded(self.supported_share_before),
            "supported_share_after": _rounded(self.supported_share_after),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _best(scores: list[float]) -> float | None:
    known = [s for s in scores if not math.isnan(s)]
    return max(known) if known else None


def _insert_at_end(segment: str, addition: str) -> str:
    """``addition`` after trailing markers, else before the final punctuation."""
    trailing = _TRAILING_MARKERS.search(segment)
    if trailing and addition.startswith("["):
        end = trailing.end() - (len(trailing.group(0)) - len(trailing.group(0).rstrip()))
        return segment[:end] + addition + segment[end:]
    cut = _END.search(segment).start()  # type: ignore[union-attr]
    return f"{segment[:cut]} {addition}{segment[cut:]}"


def _rewrite(segment: str, keep: set[int], add: list[int], flag: bool) -> str:
    """``segment`` with markers outside ``keep`` removed, ``add`` inserted, and the flag."""

    def repl(match: re.Match[str]) -> str:
        # A run of adjacent markers is rewritten as one, so removing its first marker keeps
        # the space before the rest ("model [1][2]." -> "model [2].", not "model[2].").
        kept = [n for n in find_markers(match.group(2)) if n in keep]
        return match.group(1) + format_markers(kept) if kept else ""

    segment = _MARKER_RUN.sub(repl, segment)
    if add:
        segment = _insert_at_end(segment, format_markers(add))
    if flag and UNVERIFIED_FLAG not in segment:
        segment = _insert_at_end(segment, UNVERIFIED_FLAG)
    return segment


class _Verifier:
    """One verification run; holds the inputs so the per-sentence steps stay small."""

    def __init__(
        self,
        ctx_texts: list[str],
        judge: SupportJudge,
        *,
        zero_based: bool,
        passage_ids: list[str | None] | None,
    ) -> None:
        self.ctx_texts = ctx_texts
        self.judge = judge
        self.offset = 0 if zero_based else 1
        self.passage_ids = passage_ids
        self.warnings: list[str] = []
        self.citations: list[Citation] = []

    def _record(
        self, sentence: int, marker: int, verdict: str, score: float | None, action: str
    ) -> None:
        index = marker - self.offset
        pid = self.passage_ids[index] if self.passage_ids and verdict != "out-of-range" else None
        if score is not None and math.isnan(score):
            score = None  # "unknown": keeps the JSON valid (no NaN)
        self.citations.append(Citation(sentence, marker, pid, verdict, score, action))  # type: ignore[arg-type]

    def _verdict(self, score: float) -> str:
        if math.isnan(score):
            return "unknown"
        return "supported" if score >= self.judge.threshold else "unsupported"

    def _judge_cited(self, claim: str, in_range: list[int]) -> tuple[dict[int, float], bool]:
        """Scores of the in-range cited markers, one batched call; when all fail alone, their
        passages are judged together and, if that supports the claim, all get that score.
        Returns the scores and whether they are the joint score."""
        passages = [self.ctx_texts[m - self.offset] for m in in_range]
        if not passages:
            return {}, False
        scores = dict(zip(in_range, self.judge.score(claim, passages), strict=True))
        if len(in_range) > 1 and all(self._verdict(v) == "unsupported" for v in scores.values()):
            together = self.judge.score(claim, [" ".join(passages)])[0]
            if self._verdict(together) == "supported":
                return dict.fromkeys(in_range, together), True
        return scores, False

    def _best_other(self, claim: str, scores: dict[int, float]) -> tuple[int, float] | None:
        """The best-scoring marker over all ctxs (known scores reused), or None."""
        candidates = [i for i in range(len(self.ctx_texts)) if i + self.offset not in scores]
        more = (
            self.judge.score(claim, [self.ctx_texts[i] for i in candidates]) if candidates else []
        )
        pool = {**scores, **{i + self.offset: v for i, v in zip(candidates, more, strict=True)}}
        pool = {m: v for m, v in pool.items() if not math.isnan(v)}
        if not pool:
            return None
        marker = max(pool, key=lambda m: (pool[m], -m))
        return marker, pool[marker]

    def check(
        self, s: AnswerSentence, *, fix: bool, add_missing: bool
    ) -> tuple[SentenceCheck, bool]:
        """The sentence's verdict, and whether its original citations supported it."""
        claim = re.sub(r"\s+", " ", s.text.replace(UNVERIFIED_FLAG, "")).strip()
        markers = list(dict.fromkeys(s.markers))
        # A sentence its author cited is a claim whatever its length ("Graphene is a metal
        # [0]."): losing its citation must flag it, not leave it quietly uncited.
        worthy = is_citation_worthy(s) or (bool(markers) and not s.heading)
        in_range = [m for m in markers if 0 <= m - self.offset < len(self.ctx_texts)]
        scores, joint = self._judge_cited(claim, in_range)
        verdicts = {m: self._verdict(v) for m, v in scores.items()}
        keep = [m for m in markers if not fix or verdicts.get(m) in ("supported", "unknown")]
        for m in markers:
            verdict = verdicts.get(m, "out-of-range")
            self._record(s.index, m, verdict, scores.get(m), "kept" if m in keep else "removed")
            if verdict == "out-of-range":
                self.warnings.append(
                    f"S{s.index} [{m}]: out of range ({len(self.ctx_texts)} ctxs)"
                    + ("; removed" if fix else "")
                )
            elif verdict == "unknown":
                self.warnings.append(f"S{s.index} [{m}]: the judge could not decide; kept")
        best = _best(list(scores.values()))
        added: list[int] = []
        if fix and add_missing and worthy and not keep:
            found = self._best_other(claim, scores)
            if found:
                marker, best = found
                if self._verdict(best) == "supported":
                    added = [marker]
                    self._record(s.index, marker, "supported", best, "added")
        kept_verdicts = {verdicts.get(m, "out-of-range") for m in keep}
        flagged = fix and worthy and not keep and not added
        if added or "supported" in kept_verdicts:
            verdict = "supported"
        elif kept_verdicts == {"unknown"}:
            verdict = "unknown"
        else:
            verdict = "unsupported" if keep or flagged else "uncited"
        if verdict == "unsupported":
            self.warnings.append(
                f"S{s.index}: no cited passage supports {_quote(claim)}"
                + (f"; flagged {UNVERIFIED_FLAG}" if flagged else "")
            )
        check = SentenceCheck(
            index=s.index,
            text=s.text,
            verdict=verdict,  # type: ignore[arg-type]
            score=best,
            citation_worthy=worthy,
            markers=keep + added,
            removed=[m for m in markers if m not in keep],
            added=added,
            flagged=flagged,
            joint=joint,
        )
        return check, "supported" in verdicts.values()


def _quote(text: str, limit: int = 80) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def verify_answer(
    text: str,
    ctx_texts: list[str],
    judge: SupportJudge,
    *,
    fix: bool = True,
    zero_based: bool = False,
    add_missing: bool = True,
    passage_ids: list[str | None] | None = None,
) -> VerificationResult:
    """Check every citation of ``text`` against ``ctx_texts`` with ``judge``; with ``fix``
    remove out-of-range and unsupported citations, add a supporting one where a claim has
    none (``add_missing``), and flag claims nothing supports. ``passage_ids[i]`` (optional)
    fills ``Citation.passage_id`` for ``ctx_texts[i]``."""
    sentences = split_answer(text)
    verifier = _Verifier(ctx_texts, judge, zero_based=zero_based, passage_ids=passage_ids)
    if not zero_based and any(0 in s.markers for s in sentences):
        verifier.warnings.append(
            "marker [0] found: markers look 0-based (ScholarQABench form); use --zero-based"
        )
    if not sentences:
        verifier.warnings.append("no sentence to verify: the output is empty or markers only")
    checks: list[SentenceCheck] = []
    before: list[bool] = []
    edits: list[tuple[AnswerSentence, SentenceCheck]] = []
    for s in sentences:
        check, supported_before = verifier.check(s, fix=fix, add_missing=add_missing)
        checks.append(check)
        if check.citation_worthy:
            before.append(supported_before)
        if check.removed or check.added or check.flagged:
            edits.append((s, check))
    corrected = text
    for s, check in reversed(edits):
        segment = _rewrite(
            corrected[s.start : s.end], set(check.markers), check.added, check.flagged
        )
        corrected = corrected[: s.start] + segment + corrected[s.end :]
    after = [c.verdict == "supported" for c in checks if c.citation_worthy]
    return VerificationResult(
        text=corrected if fix else text,
        citations=verifier.citations,
        sentences=checks,
        warnings=verifier.warnings,
        judge=judge.name,
        threshold=judge.threshold,
        zero_based=zero_based,
        supported_share_before=sum(before) / len(before) if before else None,
        supported_share_after=sum(after) / len(after) if after else None,
    )


def format_verdict_lines(result: VerificationResult | Mapping[str, Any]) -> list[str]:
    """One ``S<i> [n] <verdict> <score>`` line per citation (CONTRACT.md; score with two
    decimals, ``-`` when there is none), each sentence's citations followed by its own line
    ``S<i> <verdict> <score>``, plus ``(removed [n]; added [n]; flagged)`` when changed."""
    data = result.to_dict() if isinstance(result, VerificationResult) else result
    lines: list[str] = []
    by_sentence: dict[int, list[Mapping[str, Any]]] = {}
    for c in data["citations"]:
        by_sentence.setdefault(c["sentence"], []).append(c)
    for s in data["sentences"]:
        for c in by_sentence.get(s["sentence"], []):
            lines.append(f"S{c['sentence']} [{c['marker']}] {c['verdict']} {_score(c['score'])}")
        notes = [f"removed {format_markers(s['removed'])}"] if s["removed"] else []
        notes += [f"added {format_markers(s['added'])}"] if s["added"] else []
        notes += ["flagged"] if s["flagged"] else []
        suffix = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"S{s['sentence']} {s['verdict']} {_score(s['score'])}{suffix}")
    return lines


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.2f}"
