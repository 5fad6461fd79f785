"""Turning any user text into a safe FTS5 ``MATCH`` expression for BM25.

User queries contain quotes, ``*``, ``-``, ``AND``/``NEAR`` and other FTS5 syntax; passing them
through raw raises syntax errors or changes their meaning. Here the text is cut into word
tokens, common English stopwords are dropped, and every token is double-quoted (a string, never
an operator) and OR-ed, which is what BM25 over a bag of words expects.
"""

from __future__ import annotations

import re

#: Upper bound on query tokens: beyond it BM25 gains little and FTS5 slows down.
MAX_QUERY_TOKENS = 64

_WORD = re.compile(r"\w+", re.UNICODE)

STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()
)


def fts_query(text: str) -> str | None:
    """An FTS5 expression matching any content word of ``text`` (``None``: nothing to search).

    When every word is a stopword the stopwords are kept, so "to be or not to be" still
    searches for something.
    """
    words = [w.casefold() for w in _WORD.findall(text)]
    content = [w for w in words if w not in STOPWORDS] or words
    unique = list(dict.fromkeys(content))[:MAX_QUERY_TOKENS]
    if not unique:
        return None
    # \w+ tokens contain no double quote, so quoting needs no escaping.
    return " OR ".join(f'"{w}"' for w in unique)
