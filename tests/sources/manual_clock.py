"""A clock for tests of waiting code: time moves only when slept on or advanced."""

from __future__ import annotations


class ManualClock:
    """A clock that only moves when slept on (or advanced); records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
