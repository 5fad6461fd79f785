"""Label accuracy for the single-paper tasks (SciFact: true/false, PubMedQA: yes/no).

Strict: the answer must state the label up front. After citation markers, markdown emphasis,
quotes and a lead-in such as ``Answer:`` / ``The claim is`` are removed, the first word must
be a label word (``"Yes, but..."`` -> yes); ``not <label>`` states the other label
(``"Not true."`` -> false). An answer that opens by restating the options (``"True or
false? ..."``) and anything else is unparsed and counts as wrong.

Compat: the reference script's ``compute_match``: correct when the gold label occurs anywhere
in the lower-cased answer as a substring, so ``"not true"`` matches gold ``true``, and any
answer containing "not", "know" or "cannot" matches gold ``no``.
"""

from __future__ import annotations

import re

from litsynth.synthesize.markers import strip_markers

#: The label words of each task, as in the ScholarQABench files' ``answer`` field.
TASK_LABELS: dict[str, tuple[str, str]] = {"scifact": ("true", "false"), "pubmedqa": ("yes", "no")}

_LEAD_IN = re.compile(
    r"^(?:(?:final\s+)?(?:answer|label|verdict|prediction)\s*(?:is)?\s*[:\-]?\s*"
    r"|(?:the\s+)?(?:answer|claim|statement)\s+is\s*:?\s*)",
    re.IGNORECASE,
)
_NOISE = re.compile(r"^[\s*_\"'`“”‘’(\[>#-]+")
_WORD = re.compile(r"[a-z]+")


def parse_label(task: str, output: str) -> str | None:
    """The label ``output`` states up front under the strict rule, or ``None``."""
    labels = TASK_LABELS[task]
    text = _NOISE.sub("", strip_markers(output).lower())
    text = _NOISE.sub("", _LEAD_IN.sub("", text, count=1))
    words = _WORD.findall(text[:40])
    if not words or words[1:2] == ["or"]:  # "True or false? ..." restates the options
        return None
    if words[0] in labels:
        return words[0]
    if words[0] == "not" and len(words) > 1 and words[1] in labels:
        return labels[1] if words[1] == labels[0] else labels[0]
    return None


def strict_correct(task: str, output: str, gold: str) -> bool:
    """Whether the strictly parsed label equals ``gold``."""
    return parse_label(task, output) == gold.strip().lower()


def compat_correct(output: str, gold: str) -> bool:
    """The reference rule: the gold label is a substring of the lower-cased answer."""
    return strip_markers(gold).lower() in strip_markers(output).lower()
