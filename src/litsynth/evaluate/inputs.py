"""Benchmark files and answer sources shared by the answer-scoring tasks.

A task gets its answers either by running the system (an ``answer_fn``/``label_fn``) or from
an existing predictions file: OpenScholar-style JSON or JSONL rows with ``input``, ``output``
and ``ctxs`` (extra keys such as ``answer``, ``id``, ``case_id`` and ``usage`` are used when
present).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litsynth.errors import InputError, RecordError, UsageError
from litsynth.text import json_error

#: Runs the retrieval for queries: ``{qid: [(docid, score), ...]}``.
RunFn = Callable[[list[tuple[str, str]], int], dict[str, list[tuple[str, float]]]]
#: Answers a question: the ``ask --json`` document.
AnswerFn = Callable[[str], dict[str, Any]]
#: Single-paper mode: ``label_fn(task, input, ctxs) -> {output, ctxs, usage}``.
LabelFn = Callable[[str, str, list[dict[str, Any]]], dict[str, Any]]


def read_rows(path: Path, errors: list[RecordError] | None = None) -> list[dict[str, Any]]:
    """Objects from a JSON file holding a list (or ``{"data": [...]}``) or from JSONL. Bad
    JSONL lines become ``RecordError`` in ``errors`` (or raise when ``errors`` is None)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(str(path), exc.lineno, json_error(exc)) from exc
        return [row for row in data if isinstance(row, dict)]
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = json_error(exc)
        else:
            if isinstance(row, dict) and isinstance(row.get("data"), list) and number == 1:
                return [r for r in row["data"] if isinstance(r, dict)]
            if isinstance(row, dict):
                rows.append(row)
                continue
            reason = "a row must be a JSON object"
        error = RecordError(str(path), number, reason)
        if errors is None:
            raise error
        errors.append(error)
    return rows


def normalise_question(text: str) -> str:
    """Lower-cased words only, for matching a prediction to its question."""
    return " ".join(re.findall(r"\w+", text.lower()))


class Predictions:
    """Predictions of a file, looked up by id (``id``/``case_id``) or by question text."""

    def __init__(self, path: Path, errors: list[RecordError] | None = None) -> None:
        self.path = path
        self.rows = read_rows(path, errors)
        self._by_key: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            for key in self._keys(row):
                self._by_key.setdefault(key, row)

    @staticmethod
    def _keys(row: dict[str, Any]) -> list[str]:
        keys = [f"id:{row[k]}" for k in ("case_id", "id") if row.get(k) is not None]
        question = row.get("input") or row.get("question") or row.get("initial_prompt")
        if isinstance(question, str):
            keys.append(f"q:{normalise_question(question)}")
        return keys

    def find(self, question: str, ident: str | None = None) -> dict[str, Any] | None:
        """The prediction for ``ident`` if one has that id, else for ``question``."""
        if ident is not None and f"id:{ident}" in self._by_key:
            return self._by_key[f"id:{ident}"]
        return self._by_key.get(f"q:{normalise_question(question)}")


def answer_source(
    predictions: Path | None, answer_fn: AnswerFn | None, errors: list[RecordError]
) -> Callable[[str, str | None], dict[str, Any] | None]:
    """``get(question, id)`` -> an answer document, or ``None`` when the predictions file has
    none for that question. Raises ``UsageError`` when neither source is given."""
    if predictions is not None:
        table = Predictions(predictions, errors)
        return lambda question, ident: table.find(question, ident)
    if answer_fn is None:
        raise UsageError(
            "nothing to score: give a predictions file (--predictions) or let the harness "
            "run the system"
        )
    return lambda question, _ident: answer_fn(question)
