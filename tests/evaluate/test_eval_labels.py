"""Single-paper label accuracy: strict parsing vs the reference's substring rule."""

from __future__ import annotations

import pytest

from litsynth.evaluate.labels import compat_correct, parse_label, strict_correct


@pytest.mark.parametrize(
    ("task", "output", "label"),
    [
        ("scifact", "True [1].", "true"),
        ("scifact", "**False.** The study found the opposite [1].", "false"),
        ("scifact", "Answer: true", "true"),
        ("scifact", "The claim is false.", "false"),
        ("scifact", "Not true: the trial was negative.", "false"),
        ("scifact", "It is hard to say whether this is true.", None),
        ("pubmedqa", "No.", "no"),
        ("pubmedqa", "Yes, but only in adults.", "yes"),
        ("pubmedqa", "Normally the effect is small.", None),
        ("pubmedqa", "", None),
    ],
)
def test_strict_label_parsing(task, output, label):
    assert parse_label(task, output) == label


@pytest.mark.parametrize(
    ("output", "gold", "strict", "compat"),
    [
        ("not true", "true", False, True),  # substring "true" in "not true"
        ("It is not known.", "no", False, True),  # "no" hides in "not" and "known"
        ("No.", "no", True, True),
        ("Yes, but...", "yes", True, True),
        ("Yes, but...", "no", False, False),
        ("True or false? False [2].", "true", False, True),
    ],
)
def test_strict_and_compat_disagree_where_the_reference_is_lenient(output, gold, strict, compat):
    task = "scifact" if gold in ("true", "false") else "pubmedqa"
    assert strict_correct(task, output, gold) is strict
    assert compat_correct(output, gold) is compat
