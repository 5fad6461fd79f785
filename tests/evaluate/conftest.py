"""Fixtures of the evaluate tests."""

from __future__ import annotations

import pytest
from eval_fakes import FakeJudge


@pytest.fixture
def judge() -> FakeJudge:
    return FakeJudge()
