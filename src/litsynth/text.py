"""Plain-text helpers shared by the chunker, the extractive synthesis and verification."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (lower-cased, without the dot).
_ABBREVIATIONS = frozenset(
    "e.g i.e et al fig figs eq eqs ref refs vs cf approx ca no nos vol sec dr mr mrs ms prof "
    "st jr sr inc ltd co resp al est sp spp var suppl tab".split()
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
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


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences at ``.``/``!``/``?`` followed by white space and an upper-case
    letter or digit, without cutting after common abbreviations (``e.g.``, ``et al.``,
    ``Fig.``), single initials (``J. Smith``) or inside decimals."""
    text = text.strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start : match.start()].rstrip("\"')]")
        last_word = re.search(r"([A-Za-z][A-Za-z.]*)\.$", before)
        if last_word:
            word = last_word.group(1).lower().rstrip(".")
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        sentences.append(text[start : match.start()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def content_words(text: str) -> list[str]:
    """Lower-cased alphanumeric words of ``text`` without stop words (order kept)."""
    return [w for w in (t.lower() for t in _TOKEN_WORD.findall(text)) if w not in _STOPWORDS]


def is_stopword(word: str) -> bool:
    """Whether ``word`` (lower-case) is an English stop word."""
    return word in _STOPWORDS


def collapse_whitespace(text: str) -> str:
    """All runs of white space as one space, trimmed."""
    return re.sub(r"\s+", " ", text).strip()
