"""Answer text -> sentences with their markers, and which sentences need a citation."""

from __future__ import annotations

import pytest

from litsynth.synthesize.claims import is_citation_worthy, split_answer


def test_markers_before_and_after_the_period_belong_to_their_sentence() -> None:
    text = "Aspirin lowers stroke risk [1]. Trials confirmed it. [2][3] Statins act too.[4] End."
    sentences = split_answer(text)
    assert [s.text for s in sentences] == [
        "Aspirin lowers stroke risk.",
        "Trials confirmed it.",
        "Statins act too.",
        "End.",
    ]
    assert [s.markers for s in sentences] == [[1], [2, 3], [4], []]


def test_span_covers_the_sentence_and_its_trailing_markers() -> None:
    text = "First claim here. [2] Second claim [3, 5-6]."
    first, second = split_answer(text)
    assert text[first.start : first.end] == "First claim here. [2]"
    assert text[second.start : second.end] == "Second claim [3, 5-6]."
    assert second.markers == [3, 5, 6]


def test_headings_are_sentences_but_not_claims() -> None:
    text = "## Effects of aspirin on stroke\n\nAspirin lowers the risk of stroke in adults [1].\n"
    heading, claim = split_answer(text)
    assert heading.heading and heading.text == "Effects of aspirin on stroke"
    assert not claim.heading and claim.markers == [1]
    assert not is_citation_worthy(heading)
    assert is_citation_worthy(claim)


def test_list_bullets_are_stripped_and_each_item_is_split() -> None:
    text = "Findings:\n- Aspirin lowers stroke risk [1]. It also bleeds [2].\n2. Statins work [3]."
    sentences = split_answer(text)
    assert [s.text for s in sentences] == [
        "Findings:",
        "Aspirin lowers stroke risk.",
        "It also bleeds.",
        "Statins work.",
    ]
    assert text[sentences[1].start : sentences[1].start + 7] == "Aspirin"
    assert [s.markers for s in sentences] == [[], [1], [2], [3]]


def test_soft_wrapped_paragraph_is_one_run_of_sentences() -> None:
    text = "Aspirin lowers the risk\nof stroke in adults [1]. Statins lower\ncholesterol [2]."
    sentences = split_answer(text)
    assert len(sentences) == 2
    assert sentences[0].markers == [1] and sentences[1].markers == [2]


@pytest.mark.parametrize(
    ("sentence", "worthy"),
    [
        ("Aspirin reduces the risk of ischemic stroke in older adults [1].", True),
        ("In summary, aspirin reduces the risk of ischemic stroke.", True),
        ("In summary, more work is needed.", False),
        ("What does aspirin do to stroke risk?", False),
        ("The following papers discuss aspirin and stroke.", False),
        ("Several studies have examined aspirin use in stroke prevention.", False),
        ("Key findings from the literature:", False),
        ("It works.", False),
    ],
)
def test_is_citation_worthy(sentence: str, worthy: bool) -> None:
    assert is_citation_worthy(sentence) is worthy
