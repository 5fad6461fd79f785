"""Citation precision/recall on crafted answers whose supported and unsupported citations are
known, with a deterministic word-overlap judge; strict vs compat (reference) rules."""

from __future__ import annotations

import pytest
from eval_fakes import FakeJudge

from litsynth.evaluate.citations import score_answer, score_answers

SHORT_CTXS = [
    {"title": "Aspirin trial", "text": "Aspirin reduces fever in adults."},
    {"title": "Side effects", "text": "Aspirin causes stomach bleeding."},
    {"title": "Cats", "text": "Cats sleep all day."},
]
STRICT_ANSWER = (
    "Aspirin reduces fever [1]. Aspirin causes bleeding [2][3]. "
    "Aspirin reduces fever and causes bleeding [1][2].\n"
    "Cats are wonderful animals in every way."
)


def test_strict_scores_of_a_crafted_answer(judge):
    result = score_answer(STRICT_ANSWER, SHORT_CTXS, judge)
    # Sentences: S1 [1] supported; S2 [2][3] supported by [2] alone, [3] not needed;
    # S3 [1][2] supported only jointly, so both are needed; S4 uncited and long enough -> 0.
    assert result.recall == pytest.approx(3 / 4)
    # Citations: [1]=1, [2]=1, [3]=0, [1]=1, [2]=1.
    assert result.precision == pytest.approx(4 / 5)
    assert (result.markers, result.hallucinated) == (5, 0)
    assert [s["precise"] for s in result.sentences] == [[True], [True, False], [True, True], []]


def test_zero_based_markers_give_the_same_scores(judge):
    zero = STRICT_ANSWER.replace("[1]", "[0]").replace("[2]", "[1]").replace("[3]", "[2]")
    one_based = score_answer(STRICT_ANSWER, SHORT_CTXS, judge)
    zero_based = score_answer(zero, SHORT_CTXS, judge, zero_based=True)
    assert (zero_based.recall, zero_based.precision) == (one_based.recall, one_based.precision)
    # Read as 1-based, [0] resolves to nothing: hallucinated.
    assert score_answer(zero, SHORT_CTXS, judge).hallucinated == 2


def test_out_of_range_marker_is_hallucinated_and_unsupported(judge):
    result = score_answer("Aspirin reduces fever [1][7].", SHORT_CTXS, judge)
    assert result.recall == 1.0
    assert result.precision == pytest.approx(0.5)
    assert (result.markers, result.hallucinated) == (2, 1)


def test_markers_after_the_full_stop_belong_to_the_sentence_before(judge):
    result = score_answer("Aspirin reduces fever. [1] Cats sleep all day long.", SHORT_CTXS, judge)
    assert [s["markers"] for s in result.sentences] == [[1], []]
    assert result.recall == pytest.approx(0.5)


def test_headings_and_short_uncited_sentences_are_not_counted(judge):
    text = "## Aspirin and fever in adult patients\nIn short: yes.\nAspirin reduces fever [1]."
    result = score_answer(text, SHORT_CTXS, judge)
    assert [s["claim"] for s in result.sentences] == ["Aspirin reduces fever."]
    assert result.recall == 1.0


def test_uncited_answer_has_no_precision_in_strict_but_zero_in_compat(judge):
    text = "Aspirin reduces fever in adults according to many trials and reviews."
    strict = score_answer(text, SHORT_CTXS, judge)
    assert (strict.recall, strict.precision) == (0.0, None)
    compat = score_answer(text, SHORT_CTXS, judge, compat=True)
    assert (compat.recall, compat.precision) == (0.0, 0.0)


# Compat: sentences of at least 50 characters, 0-based markers.
LONG_CTXS = [
    {
        "title": "Aspirin trial",
        "text": "In adults aspirin reduces fever within hours according to randomized trials, "
        "again and again.",
    },
    {
        "title": "Side effects",
        "text": "Aspirin causes stomach bleeding in older patients according to cohort studies.",
    },
    {"title": "Cats", "text": "Cats sleep all day."},
    {"title": "Dogs", "text": "Dogs bark at night."},
    {"title": "Birds", "text": "Birds sing at dawn."},
]
FEVER = "Aspirin reduces fever in adults within hours according to randomized trials"
BLEED = "Aspirin causes stomach bleeding in older patients according to cohort studies"


def both(text, judge, **kwargs):
    strict = score_answer(text, LONG_CTXS, judge, zero_based=True, **kwargs)
    compat = score_answer(text, LONG_CTXS, judge, zero_based=True, compat=True, **kwargs)
    return strict, compat


def test_compat_carries_citations_over_to_uncited_sentences(judge):
    strict, compat = both(
        f"{FEVER} [0]. Aspirin again reduces fever in adults within hours.", judge
    )
    assert strict.recall == pytest.approx(0.5)  # the second sentence cites nothing
    assert compat.recall == pytest.approx(1.0)  # ...but inherits [0] in the reference
    assert compat.sentences[1]["carried"] is True
    assert compat.precision == strict.precision == 1.0


def test_compat_leaves_hallucinated_citations_out_of_precision(judge):
    strict, compat = both(f"{FEVER} [0]. {BLEED} [1][9].", judge)
    assert strict.recall == 1.0
    assert strict.precision == pytest.approx(2 / 3)
    assert compat.recall == pytest.approx(0.5)  # any out-of-range marker zeroes the sentence
    assert compat.precision == 1.0  # and [9] is not counted at all
    assert strict.hallucinated == compat.hallucinated == 1


def test_compat_reads_only_the_first_number_of_a_comma_group(judge):
    strict, compat = both(f"{FEVER} and causes stomach bleeding [0, 1].", judge)
    assert (strict.recall, strict.precision) == (1.0, 1.0)
    assert (compat.recall, compat.precision) == (0.0, 0.0)


def test_compat_judges_at_most_three_citations(judge):
    strict, compat = both(f"{BLEED} [2][3][4][1].", judge)
    assert strict.recall == 1.0
    assert strict.precision == pytest.approx(1 / 4)  # only [1] is needed
    assert (compat.recall, compat.precision) == (0.0, 0.0)  # [1] was cut off


def test_compat_skips_sentences_under_50_characters(judge):
    strict, compat = both("Aspirin reduces fever [0].", judge)
    assert (strict.recall, strict.precision) == (1.0, 1.0)
    assert compat.sentences == [] and (compat.recall, compat.precision) == (0.0, 0.0)


def test_compat_with_one_based_answers(judge):
    result = score_answer(f"{FEVER} [1].", LONG_CTXS, judge, compat=True, zero_based=False)
    assert (result.recall, result.precision) == (1.0, 1.0)


def test_short_form_claim_is_question_plus_answer(judge):
    ctxs = [{"title": "", "text": "Yes: does aspirin reduce fever? It does."}]
    result = score_answer("Yes [1].", ctxs, judge, question="Does aspirin reduce fever?")
    assert judge.calls[0][0] == "Does aspirin reduce fever? Yes."
    assert (result.recall, result.precision) == (1.0, 1.0)


def test_judge_failures_are_counted_not_scored_zero():
    judge = FakeJudge(fail_on="Cats")
    answers = [
        {"output": "Aspirin reduces fever [1].", "ctxs": SHORT_CTXS},
        {"output": "Cats sleep all day [3].", "ctxs": SHORT_CTXS},
        {"output": "Aspirin causes bleeding [2][4].", "ctxs": SHORT_CTXS},
    ]
    summary = score_answers(answers, judge)
    assert summary.judge_failures == 1 and summary.per_answer[1] is None
    assert summary.citation_recall == 1.0
    assert summary.citation_precision == pytest.approx((1.0 + 0.5) / 2)
    assert summary.hallucinated_reference_rate == pytest.approx(1 / 3)
    assert summary.metrics()["citation_judge_failures"] == 1
    assert (
        score_answers([{"output": "No markers here.", "ctxs": []}], judge).metrics()[
            "hallucinated_reference_rate"
        ]
        is None
    )
