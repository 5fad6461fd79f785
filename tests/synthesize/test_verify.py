"""Citation verification with a deterministic FakeJudge (content-word overlap)."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import pytest

from litsynth.errors import InputError
from litsynth.synthesize.answer_files import verify_file
from litsynth.synthesize.markers import strip_markers
from litsynth.synthesize.verify import UNVERIFIED_FLAG, format_verdict_lines, verify_answer
from litsynth.text import content_words


class FakeJudge:
    """Stands in for a support model: the share of the claim's content words in the passage.
    Records every call so tests can check batching."""

    name = "fake-overlap"

    def __init__(self, threshold: float = 0.6) -> None:
        self.threshold = threshold
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, claim: str, passages: list[str]) -> list[float]:
        self.calls.append((claim, list(passages)))
        words = set(content_words(claim))
        return [len(words & set(content_words(p))) / len(words) for p in passages]


class FakeUndecidedJudge(FakeJudge):
    """A judge that can never decide (as an LM judge with unparsable output)."""

    name = "fake-undecided"

    def score(self, claim: str, passages: list[str]) -> list[float]:
        return [math.nan for _ in passages]


CTXS = [
    "Aspirin reduces ischemic stroke risk in older adults.",
    "Statins lower blood cholesterol levels substantially.",
    "Coffee improves alertness among university students.",
]


def test_supported_kept_unsupported_and_out_of_range_removed() -> None:
    text = "Aspirin reduces ischemic stroke risk [1][2]. Statins lower blood cholesterol [2][9]."
    result = verify_answer(text, CTXS, FakeJudge())
    assert (
        result.text
        == "Aspirin reduces ischemic stroke risk [1]. Statins lower blood cholesterol [2]."
    )
    verdicts = [(c.sentence, c.marker, c.verdict, c.action) for c in result.citations]
    assert verdicts == [
        (0, 1, "supported", "kept"),
        (0, 2, "unsupported", "removed"),
        (1, 2, "supported", "kept"),
        (1, 9, "out-of-range", "removed"),
    ]
    assert result.citations[3].score is None
    assert any("[9]" in w and "out of range" in w for w in result.warnings)
    assert [s.verdict for s in result.sentences] == ["supported", "supported"]


def test_wrong_citation_replaced_by_the_supporting_passage() -> None:
    result = verify_answer("Coffee improves alertness among students [1].", CTXS, FakeJudge())
    assert result.text == "Coffee improves alertness among students [3]."
    added = [c for c in result.citations if c.action == "added"]
    assert [(c.marker, c.verdict) for c in added] == [(3, "supported")]
    assert result.sentences[0].removed == [1] and result.sentences[0].added == [3]
    assert result.supported_share_before == 0.0 and result.supported_share_after == 1.0


def test_unsupported_claim_is_flagged_not_dropped() -> None:
    text = "Unicorns cure influenza in horses [2]. Statins lower blood cholesterol [2]."
    result = verify_answer(text, CTXS, FakeJudge())
    assert result.text == (
        f"Unicorns cure influenza in horses {UNVERIFIED_FLAG}. Statins lower blood cholesterol [2]."
    )
    first = result.sentences[0]
    assert (first.verdict, first.flagged, first.markers) == ("unsupported", True, [])
    assert any(w.startswith("S0:") and UNVERIFIED_FLAG in w for w in result.warnings)
    again = verify_answer(result.text, CTXS, FakeJudge())
    assert again.text == result.text


def test_add_missing_off_flags_instead_of_adding() -> None:
    result = verify_answer(
        "Coffee improves alertness among students [1].", CTXS, FakeJudge(), add_missing=False
    )
    assert result.text == f"Coffee improves alertness among students {UNVERIFIED_FLAG}."


def test_uncited_claim_gets_a_citation_and_non_claims_stay_uncited() -> None:
    text = "## Overview\n\nStatins lower blood cholesterol levels. What about coffee?"
    result = verify_answer(text, CTXS, FakeJudge())
    assert (
        result.text
        == "## Overview\n\nStatins lower blood cholesterol levels [2]. What about coffee?"
    )
    assert [s.verdict for s in result.sentences] == ["uncited", "supported", "uncited"]


def test_citations_jointly_supporting_a_sentence_are_kept() -> None:
    ctxs = ["Aspirin reduces stroke risk.", "Exercise improves sleep quality."]
    text = "Aspirin reduces stroke risk and exercise improves sleep quality [1][2]."
    result = verify_answer(text, ctxs, FakeJudge(threshold=0.8))
    assert result.text == text
    assert result.sentences[0].joint
    assert [c.verdict for c in result.citations] == ["supported", "supported"]


def test_judge_failure_keeps_the_citation_with_a_warning() -> None:
    text = "Statins lower blood cholesterol [2]."
    result = verify_answer(text, CTXS, FakeUndecidedJudge())
    assert result.text == text
    assert [(c.verdict, c.score, c.action) for c in result.citations] == [("unknown", None, "kept")]
    assert result.sentences[0].verdict == "unknown"
    assert any("could not decide" in w for w in result.warnings)
    assert "NaN" not in json.dumps(result.to_dict())


def test_one_batched_judge_call_per_sentence_with_citations() -> None:
    judge = FakeJudge()
    verify_answer("Statins lower blood cholesterol levels [1][2][3].", CTXS, judge)
    assert [len(passages) for _, passages in judge.calls] == [3]


def test_zero_based_markers() -> None:
    text = "Aspirin reduces ischemic stroke risk [0]. Coffee improves alertness [1]."
    result = verify_answer(text, CTXS, FakeJudge(), zero_based=True)
    assert result.text == "Aspirin reduces ischemic stroke risk [0]. Coffee improves alertness [2]."
    assert not any("zero-based" in w for w in result.warnings)


def test_zero_marker_without_zero_based_suggests_the_flag() -> None:
    result = verify_answer("Aspirin reduces ischemic stroke risk [0].", CTXS, FakeJudge())
    assert result.citations[0].verdict == "out-of-range"
    assert any("--zero-based" in w for w in result.warnings)


def test_check_only_leaves_the_text_alone() -> None:
    text = "Coffee improves alertness among students [1]. Unicorns fly [7]."
    result = verify_answer(text, CTXS, FakeJudge(), fix=False)
    assert result.text == text
    assert [c.verdict for c in result.citations] == ["unsupported", "out-of-range"]
    assert [s.verdict for s in result.sentences] == ["unsupported", "unsupported"]


def test_sentences_keep_their_order_and_ctxs_are_untouched() -> None:
    ctxs = list(CTXS)
    text = "Unicorns cure influenza [3]. Coffee improves alertness [2]. Statins lower cholesterol."
    result = verify_answer(text, ctxs, FakeJudge())
    assert ctxs == CTXS
    plain = strip_markers(result.text).replace(f" {UNVERIFIED_FLAG}", "")
    assert plain == strip_markers(text)


def test_verdict_lines_format() -> None:
    text = "Aspirin reduces ischemic stroke risk [1][2]. Coffee improves alertness [9]."
    lines = format_verdict_lines(verify_answer(text, CTXS, FakeJudge()))
    assert lines == [
        "S0 [1] supported 1.00",
        "S0 [2] unsupported 0.00",
        "S0 supported 1.00 (removed [2])",
        "S1 [9] out-of-range -",
        "S1 [3] supported 1.00",
        "S1 supported 1.00 (removed [9]; added [3])",
    ]
    contract = re.compile(
        r"^S\d+ \[\d+\] (supported|unsupported|out-of-range|unknown) (\d\.\d\d|-)$"
    )
    assert sum(bool(contract.match(line)) for line in lines) == 4


# ---------------------------------------------------------------- answer files

ANSWER = {
    "input": "What lowers cholesterol?",
    "output": "Statins lower blood cholesterol levels [3]. Coffee improves alertness [1].",
    "ctxs": [{"title": f"T{i}", "text": t, "passage_id": f"p{i}"} for i, t in enumerate(CTXS)],
}


def _check_corrected(record: dict) -> None:
    assert record["output"] == (
        "Statins lower blood cholesterol levels [2]. Coffee improves alertness [3]."
    )
    assert record["ctxs"] == ANSWER["ctxs"]
    verification = record["verification"]
    assert verification["judge"] == "fake-overlap"
    assert verification["supported_share_before"] == 0.0
    assert verification["supported_share_after"] == 1.0
    added = [c for c in verification["citations"] if c["action"] == "added"]
    assert [(c["marker"], c["passage_id"]) for c in added] == [(2, "p1"), (3, "p2")]


def _verified(path: Path, **kwargs: bool) -> list[dict]:
    return [e.verified for e in verify_file(path, judge=FakeJudge(), **kwargs).entries]


def test_verify_file_one_object(tmp_path: Path) -> None:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(ANSWER))
    answers = verify_file(path, judge=FakeJudge())
    (record,) = [e.verified for e in answers.entries]
    _check_corrected(record)
    out = tmp_path / "out.json"
    answers.write(out)
    assert json.loads(out.read_text()) == record


def test_verify_file_list_and_jsonl(tmp_path: Path) -> None:
    as_list = tmp_path / "answers.json"
    as_list.write_text(json.dumps([ANSWER, ANSWER]))
    as_jsonl = tmp_path / "answers.jsonl"
    as_jsonl.write_text("\n".join(json.dumps(ANSWER) for _ in range(3)) + "\n")
    for path, count in ((as_list, 2), (as_jsonl, 3)):
        records = _verified(path)
        assert len(records) == count
        for record in records:
            _check_corrected(record)
    out = tmp_path / "out.jsonl"
    verify_file(as_jsonl, judge=FakeJudge()).write(out)
    assert len(out.read_text().splitlines()) == 3


def test_verify_file_zero_based_sqa_answer(tmp_path: Path) -> None:
    answer = copy.deepcopy(ANSWER)
    answer["output"] = "Statins lower blood cholesterol levels [0]."
    path = tmp_path / "sqa.json"
    path.write_text(json.dumps(answer))
    (plain,) = _verified(path)
    assert any("--zero-based" in w for w in plain["verification"]["warnings"])
    (zero,) = _verified(path, zero_based=True)
    assert zero["output"] == "Statins lower blood cholesterol levels [1]."


def test_bad_jsonl_line_is_skipped_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps(ANSWER) + "\n{not json\n" + json.dumps({"output": 3}) + "\n")
    answers = verify_file(path, judge=FakeJudge())
    assert [e.where for e in answers.skipped] == ["line 2", "line 3"]
    assert re.search(r"answers\.jsonl:2: not valid JSON", answers.skipped[0].error or "")
    assert re.search(r"answers\.jsonl:3: ", answers.skipped[1].error or "")
    _check_corrected(answers.entries[0].verified or {})
    out = tmp_path / "out.jsonl"
    answers.write(out)
    lines = out.read_text().splitlines()
    assert len(lines) == 3
    assert lines[1] == "{not json" and json.loads(lines[2]) == {"output": 3}
    assert "verification" in json.loads(lines[0])


def test_bad_list_item_is_written_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps([{"output": "x", "ctxs": "nope"}, ANSWER]))
    answers = verify_file(path, judge=FakeJudge())
    (skipped,) = answers.skipped
    assert re.search(r"answers\.json \(item 1\).*'ctxs'", skipped.error or "")
    out = tmp_path / "out.json"
    answers.write(out)
    written = json.loads(out.read_text())
    assert written[0] == {"output": "x", "ctxs": "nope"}
    _check_corrected(written[1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"output": 3, "ctxs": []}', "no text 'output'"),
        ('[{"output": "x", "ctxs": "nope"}]', r"item 1.*'ctxs'"),
        ('{"output": "x"}\n{oops\n', r"bad\.json:1: .*'ctxs'.*bad\.json:2"),
        ("", "empty file"),
        ("[1, 2", "not valid JSON"),
    ],
)
def test_unreadable_answer_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        verify_file(path, judge=FakeJudge())


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.json"):
        verify_file(tmp_path / "missing.json", judge=FakeJudge())


def test_markers_on_their_own_line_are_verified_with_the_sentence_above() -> None:
    text = "Aspirin reduces ischemic stroke risk.\n\n[2][3]"
    result = verify_answer(text, CTXS, FakeJudge())
    assert result.text == "Aspirin reduces ischemic stroke risk [1]."
    assert [(c.marker, c.verdict) for c in result.citations if c.action != "added"] == [
        (2, "unsupported"),
        (3, "unsupported"),
    ]


def test_removing_the_first_of_adjacent_markers_keeps_the_space() -> None:
    text = "Statins lower blood cholesterol [1][2]."
    assert verify_answer(text, CTXS, FakeJudge()).text == "Statins lower blood cholesterol [2]."


def test_short_cited_sentence_losing_its_citation_is_flagged() -> None:
    # Two content words: too short to count as a claim on its own, but its author cited it.
    result = verify_answer("Graphene conducts [7].", CTXS, FakeJudge())
    assert result.text == f"Graphene conducts {UNVERIFIED_FLAG}."
    assert [(s.verdict, s.flagged, s.removed) for s in result.sentences] == [
        ("unsupported", True, [7])
    ]


@pytest.mark.parametrize("text", ["", "   ", "[1][2]"])
def test_nothing_to_verify_says_so(text: str) -> None:
    result = verify_answer(text, CTXS, FakeJudge())
    assert result.sentences == []
    assert result.warnings == ["no sentence to verify: the output is empty or markers only"]
