"""A sentence splitter for scientific prose that does not cut at "e.g.", "et al.", "Fig. 2",
decimals or initials. It returns character spans so callers can cut the original text."""

from __future__ import annotations

import re

# A boundary candidate: terminal punctuation, optional closing quotes/brackets, whitespace,
# then something that can start a sentence.
_CANDIDATE = re.compile(r"[.!?][\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9])")
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    {
        "al", "approx", "ca", "cf", "ch", "co", "dept", "dr", "e.g", "eg", "eq", "eqs",
        "est", "fig", "figs", "i.e", "ie", "inc", "jr", "ltd", "mr", "mrs", "ms", "no", "nos",
        "p", "pp", "prof", "ref", "refs", "resp", "sec", "sect", "sp", "spp", "sr", "st",
        "suppl", "tab", "vol", "vs", "viz", "ibid", "univ",
    }
)  # fmt: skip


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the sentences in ``text``, in order, covering
    every non-space character; the gaps between spans are whitespace only."""
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    for match in _CANDIDATE.finditer(text):
        end = match.start(1)
        if end <= start or _is_abbreviation(text[start:end]):
            continue
        spans.append((start, end))
        start = match.end(1)
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def _skip_space(text: str, position: int) -> int:
    return len(text) - len(text[position:].lstrip())


def _is_abbreviation(sentence: str) -> bool:
    """Whether the final period of ``sentence`` belongs to an abbreviation or an initial."""
    if not sentence.endswith("."):
        return False
    word_match = _LAST_WORD.search(sentence[:-1])
    word = word_match.group(1).lstrip("([\"'") if word_match else ""
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return word.lower() in _ABBREVIATIONS
