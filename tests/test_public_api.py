"""The public surface is one explicit list; this test fails when it drifts."""

from __future__ import annotations

import litsynth


def test_all_names_exist_and_nothing_public_is_missing() -> None:
    for name in litsynth.__all__:
        assert hasattr(litsynth, name), name
    public = {
        name
        for name, value in vars(litsynth).items()
        if not name.startswith("_") and not getattr(value, "__name__", "").startswith("litsynth.")
    }
    assert public <= set(litsynth.__all__) | {"annotations"}, public - set(litsynth.__all__)
    assert sorted(litsynth.__all__, key=str.lower) == sorted(set(litsynth.__all__), key=str.lower)
