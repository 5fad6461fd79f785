"""Plain-text helpers shared by the chunker, the extractive synthesis and verification."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

# A boundary candidate: terminal punctuation, optional closing quotes/brackets, white space,
# then something that can start a sentence.
_CANDIDATE = re.compile(r"[.!?][\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9])")
# Abbreviations whose period does not end a sentence (lower-cased, without the final dot).
_ABBREVIATIONS = frozenset(
    "al approx ca cf ch co dept dr e.g eg eq eqs est et fig figs i.e ie inc jr ltd mr mrs ms "
    "no nos p pp prof ref refs resp sec sect sp spp sr st suppl tab vol vs viz ibid univ "
    "var".split()
)
_TOKEN_WORD = re.compile(r"[A-Za-z0-9]+")
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also may might must shall can using used use based via within without whether among across
    however therefore thus""".split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the sentences in ``text``, in order (see
    :func:`iter_sentence_spans`)."""
    return list(iter_sentence_spans(text))


def iter_sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` character spans of the sentences in ``text``, in order, covering every
    non-space character (the gaps are white space only), found lazily so that a long text
    needs no list of all its sentences. A boundary is ``.``/``!``/``?`` followed by white
    space and an upper-case letter or digit; it is not taken after common abbreviations
    (``e.g.``, ``et al.``, ``Fig.``) or initials (``J. Smith``), and decimals never qualify
    since they have no white space after the point."""
    start = len(text) - len(text.lstrip())
    for match in _CANDIDATE.finditer(text):
        end = match.start(1)
        if end <= start or _ends_with_abbreviation(text, start, end):
            continue
        yield start, end
        start = match.end(1)
    end = len(text.rstrip())
    if start < end:
        yield start, end


def _ends_with_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the sentence ``text[start:end]`` ends with an abbreviation or an initial. Only
    its last word is looked at, without copying the sentence, so that a long run of rejected
    candidates costs time in proportion to its length, not to its square."""
    stop = end - 1
    if text[stop] != ".":
        return False
    if stop > start and text[stop - 1] == "\n":
        stop -= 1  # a word may end just before one newline, as regex ``$`` allows
    begin = stop
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:stop].lstrip("([\"'")
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (see :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased alphanumeric words of ``text`` without stop words (order kept)."""
    return [w for w in (t.lower() for t in _TOKEN_WORD.findall(text)) if w not in _STOPWORDS]


def is_stopword(word: str) -> bool:
    """Whether ``word`` (lower-case) is an English stop word."""
    return word in _STOPWORDS


def collapse_whitespace(text: str) -> str:
    """All runs of white space as one space, trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def json_error(exc: json.JSONDecodeError) -> str:
    """``"not valid JSON: <reason> at column N"`` for messages that already name the file and
    line (the decoder's own reason may end in a bare "at": "Invalid control character at")."""
    return f"not valid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}"


def parse_int(value: object) -> int | None:
    """``value`` as an int when it is one (or a digit string), else ``None`` (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
