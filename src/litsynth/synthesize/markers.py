"""Citation markers: ``[n]`` in answer text, several written adjacent (``[2][5]``).

Also reads the forms models and other systems produce (``[2, 5]``, ``[2-4]``) so that they can
be normalised to the adjacent form.
"""

from __future__ import annotations

import re

#: One bracket group that holds only numbers, commas, dashes and spaces: ``[3]``, ``[1, 4-6]``.
MARKER_GROUP = re.compile(r"\[(\d+(?:\s*[-–,]\s*\d+)*)\]")


def expand_group(body: str) -> list[int]:
    """``"1, 4-6"`` -> ``[1, 4, 5, 6]`` (ranges capped at 50 numbers to resist garbage)."""
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", body.strip()):
        if not part:
            continue
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            if lo <= hi and hi - lo < 50:
                numbers.extend(range(lo, hi + 1))
                continue
        numbers.extend(int(b) for b in bounds if b.isdigit())
    return numbers


def find_markers(text: str) -> list[int]:
    """Every marker number in order of appearance (duplicates kept)."""
    return [n for m in MARKER_GROUP.finditer(text) for n in expand_group(m.group(1))]


def strip_markers(text: str) -> str:
    """The text without citation markers, with the space before each marker removed."""
    return re.sub(r"\s*" + MARKER_GROUP.pattern, "", text).strip()


def format_markers(numbers: list[int]) -> str:
    """``[2, 5, 2]`` -> ``"[2][5]"`` (order of first appearance, no duplicates)."""
    seen: list[int] = []
    for n in numbers:
        if n not in seen:
            seen.append(n)
    return "".join(f"[{n}]" for n in seen)


def normalise_markers(text: str) -> str:
    """Rewrite every marker group into the adjacent form: ``[1, 3-4]`` -> ``[1][3][4]``."""
    return MARKER_GROUP.sub(lambda m: format_markers(expand_group(m.group(1))), text)


#: A parenthesised mention of passages that small models write instead of a marker:
#: ``(passage 3)``, ``[Passages 2 and 5]``, ``(see passages 1, 4-6)``.
_PASSAGE_MENTION = re.compile(
    r"\s*[(\[]\s*(?:see\s+)?passages?\s+(\d+(?:\s*(?:,|and|&|[-–])\s*\d+)*)\s*[)\]]",
    re.IGNORECASE,
)


def passage_mentions_to_markers(text: str) -> str:
    """``"A holds (passages 2 and 5)."`` -> ``"A holds [2][5]."``: the parenthesised passage
    mentions a model writes in place of markers, as markers."""

    def repl(m: re.Match[str]) -> str:
        body = re.sub(r"\s*(?:and|&)\s*", ",", m.group(1), flags=re.IGNORECASE)
        return " " + format_markers(expand_group(body))

    return _PASSAGE_MENTION.sub(repl, text)


_AFTER_PERIOD = re.compile(
    r"([.!?])\s*(" + MARKER_GROUP.pattern + r"(?:\s*" + MARKER_GROUP.pattern + r")*)(?=\s|$)"
)


def markers_before_punctuation(text: str) -> str:
    """``"A holds.[2] B.\n\n[3][4]"`` -> ``"A holds [2]. B [3][4]."``: markers written after a
    sentence's final punctuation (or on a line of their own below it) moved in front of it."""
    return _AFTER_PERIOD.sub(
        lambda m: f" {format_markers(find_markers(m.group(2)))}{m.group(1)}", text
    )


def shift_markers(text: str, delta: int) -> str:
    """Add ``delta`` to every marker number: -1 turns 1-based markers into ScholarQABench's
    0-based form, +1 the other way."""
    return MARKER_GROUP.sub(
        lambda m: format_markers([n + delta for n in expand_group(m.group(1))]), text
    )


def renumber_markers(text: str, mapping: dict[int, int | None]) -> str:
    """Replace marker numbers by ``mapping``; a number mapped to ``None`` is removed, a number
    not in the mapping is kept."""

    def repl(m: re.Match[str]) -> str:
        kept = [mapping.get(n, n) for n in expand_group(m.group(1))]
        return format_markers([n for n in kept if n is not None])

    return MARKER_GROUP.sub(repl, text)
