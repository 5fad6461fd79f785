"""Helpers for the evaluate tests: a deterministic support judge and shared-data paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from litsynth.errors import LitsynthError

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
_STOP = frozenset("a an and the in of to is are by".split())


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


class FakeJudge:
    """Stands in for the NLI/alignment judge: a passage supports a claim iff every content
    word of the claim appears in it. Claims containing ``fail_on`` raise like a broken judge."""

    name = "fake-word-overlap"
    threshold = 0.5

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, claim: str, passages: list[str]) -> list[float]:
        self.calls.append((claim, passages))
        if self.fail_on and self.fail_on in claim:
            raise LitsynthError("judge model crashed")
        return [1.0 if words(claim) <= words(p) else 0.0 for p in passages]


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared data file {path} is missing")
    return path
