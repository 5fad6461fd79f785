"""An answer's text as a list of sentences, each with the citation markers that belong to it.

Markers belong to the sentence they follow, also when written after its final period
(``"... was shown. [2] Next ..."`` cites ``[2]`` for the first sentence) or on a line of their
own after it. Markdown headings are
kept as non-claim sentences; list bullets are stripped before splitting. Every sentence keeps
its character span in the original text, trailing markers included, so verification can
rewrite one sentence's markers without touching the rest of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from litsynth.synthesize.markers import MARKER_GROUP, find_markers, strip_markers
from litsynth.text import content_words, split_sentences

_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s+\S.*|\*\*[^*]+\*\*:?|__[^_]+__:?)\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_TRANSITION = re.compile(
    r"^(in summary|in conclusion|to summarize|to sum up|overall|in short|in general|"
    r"together|taken together|additionally|moreover|furthermore|finally|first|second|third|"
    r"firstly|secondly|lastly|however|for example|for instance|in addition|specifically)"
    r"\s*,?\s*",
    re.IGNORECASE,
)
_META = re.compile(
    r"^(the following (papers?|studies|works|sources|sections?|passages?)|"
    r"(here|below),? (is|are|we)|this (answer|response|summary|section|overview)|"
    r"(let me|i will|we will|i'll|we'll) |"
    r"(several|many|some|various|multiple|these) (papers|studies|works|sources) "
    r"(discuss|address|examine|explore|investigate|cover|have (examined|studied|explored)))",
    re.IGNORECASE,
)

#: A sentence needs at least this many content words to be a claim worth a citation.
MIN_CONTENT_WORDS = 3


@dataclass
class AnswerSentence:
    """One sentence of an answer. ``text`` is without markers; ``markers`` are the numbers of
    the markers that belong to it, in order (duplicates kept); ``start``/``end`` delimit it in
    the original text, trailing markers included. ``heading`` marks a markdown heading line."""

    index: int
    text: str
    markers: list[int] = field(default_factory=list)
    start: int = 0
    end: int = 0
    heading: bool = False


def _masked(text: str) -> str:
    """``text`` with every marker group replaced by spaces of the same length, so sentence
    splitting ignores markers while offsets stay those of the original."""
    return MARKER_GROUP.sub(lambda m: " " * len(m.group(0)), text)


def _blocks(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, is_heading)`` of each heading line and each run of prose lines; a list
    bullet starts a new run, and its bullet prefix is left outside the span."""
    blocks: list[tuple[int, int, bool]] = []
    current: list[int] | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        line_start, line_end = offset, offset + len(body)
        offset += len(line)
        if not body.strip():
            current = None
            continue
        if _HEADING.match(body):
            blocks.append((line_start, line_end, True))
            current = None
            continue
        bullet = _BULLET.match(body)
        if bullet or current is None:
            skip = bullet.end() if bullet else len(body) - len(body.lstrip())
            current = [line_start + skip, line_end]
            blocks.append((current[0], current[1], False))
        else:
            current[1] = line_end
            blocks[-1] = (current[0], current[1], False)
    return blocks


def _sentence_spans(masked: str, start: int, end: int) -> list[list[int]]:
    """Spans of the sentences of ``masked[start:end]``, each extended over the gap up to the
    next sentence so that markers written after a period stay with their sentence."""
    spans: list[list[int]] = []
    pos = start
    for sentence in split_sentences(masked[start:end]):
        found = masked.find(sentence, pos, end)
        spans.append([found, found + len(sentence)])
        pos = found + len(sentence)
    for current, following in pairwise(spans):
        current[1] = following[0]
    if spans:
        spans[-1][1] = end
    return spans


def split_answer(text: str) -> list[AnswerSentence]:
    """The sentences of an answer in order, headings included (with ``heading=True``)."""
    masked = _masked(text)
    sentences: list[AnswerSentence] = []
    for block_start, block_end, heading in _blocks(text):
        spans = (
            [[block_start, block_end]]
            if heading
            else _sentence_spans(masked, block_start, block_end)
        )
        if not spans and sentences and not sentences[-1].heading:
            # A block of markers alone ("...risk.\n\n[2][3]"): the model collected the
            # citations of the text above; they belong to its last sentence.
            previous = sentences[-1]
            raw = text[block_start:block_end].rstrip()
            previous.markers += find_markers(raw)
            previous.end = block_start + len(raw)
            continue
        for span_start, span_end in spans:
            raw = text[span_start:span_end].rstrip()
            markers = find_markers(raw)
            sentences.append(
                AnswerSentence(
                    index=len(sentences),
                    text=strip_markers(raw).lstrip("#").strip("*_ ")
                    if heading
                    else strip_markers(raw),
                    markers=markers,
                    start=span_start,
                    end=span_start + len(raw),
                    heading=heading,
                )
            )
    return sentences


def is_citation_worthy(sentence: AnswerSentence | str) -> bool:
    """Whether a sentence makes a claim that should carry a citation: not a heading, not a
    question, not a transition or meta sentence ("In summary, ...", "The following papers
    discuss ..."), not a lead-in ending with a colon, and at least ``MIN_CONTENT_WORDS``
    content words once a leading transition phrase is removed."""
    if isinstance(sentence, AnswerSentence):
        if sentence.heading:
            return False
        text = sentence.text
    else:
        text = strip_markers(sentence)
    text = text.strip().strip("*_").strip()
    if not text or text.endswith(("?", ":")) or _META.match(text):
        return False
    rest = _TRANSITION.sub("", text, count=1)
    return len(content_words(rest)) >= MIN_CONTENT_WORDS
