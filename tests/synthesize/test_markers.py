from __future__ import annotations

from litsynth.synthesize.markers import (
    find_markers,
    markers_before_punctuation,
    normalise_markers,
    passage_mentions_to_markers,
    renumber_markers,
    shift_markers,
    strip_markers,
)


def test_find_and_normalise_forms() -> None:
    text = "A [1]. B [2, 4-5]. C [3][1]. Year [2019 is not a range]."
    assert find_markers(text) == [1, 2, 4, 5, 3, 1]
    assert normalise_markers("B [2, 4-5].") == "B [2][4][5]."


def test_shift_and_renumber() -> None:
    assert shift_markers("x [1][3].", -1) == "x [0][2]."
    assert shift_markers("x [0].", 1) == "x [1]."
    assert renumber_markers("x [1][2] y [3].", {2: None, 3: 1}) == "x [1] y [1]."


def test_strip_markers() -> None:
    assert strip_markers("Claim one [1][2]. Claim two [3].") == "Claim one. Claim two."


def test_garbage_range_is_not_expanded() -> None:
    assert len(find_markers("[1-100000]")) == 2


def test_passage_mentions_become_markers() -> None:
    assert passage_mentions_to_markers("Humans are bitten (passage 3).") == "Humans are bitten [3]."
    assert passage_mentions_to_markers("X [Passages 2 and 5].") == "X [2][5]."
    assert passage_mentions_to_markers("Y (see passages 1, 4-5 & 7)") == "Y [1][4][5][7]"
    # A mention in the running text is not a citation and stays as written.
    assert passage_mentions_to_markers("As passage 3 shows, Z.") == "As passage 3 shows, Z."


def test_markers_move_in_front_of_the_final_punctuation() -> None:
    assert markers_before_punctuation("A holds.[2] B holds. [3]") == "A holds [2]. B holds [3]."
    assert markers_before_punctuation("A holds.\n\n[2] [4]") == "A holds [2][4]."
    assert markers_before_punctuation("Ends [1]. Fig. 2 [x].") == "Ends [1]. Fig. 2 [x]."
