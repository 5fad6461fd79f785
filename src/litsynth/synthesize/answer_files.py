"""Answer files for ``litsynth verify``: read, verify and write back OpenScholar /
ScholarQABench answers (one object, a JSON list of them, or JSONL; each with ``output`` and
``ctxs``).

A bad answer in a list or JSONL file (invalid JSON on its line, no text ``output``, malformed
``ctxs``) is skipped with an error naming the file and line (or item); the rest is verified,
and ``--out`` writes the skipped answer back unchanged, so the output keeps one entry per
input entry. Only a file with no usable answer at all is unreadable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from litsynth.errors import InputError
from litsynth.synthesize.verify import verify_answer
from litsynth.text import json_error

if TYPE_CHECKING:
    from litsynth.synthesize.judges import SupportJudge

FileForm = Literal["object", "list", "jsonl"]


@dataclass
class AnswerEntry:
    """One entry of an answer file: ``original`` is the parsed JSON (or, for a JSONL line that
    is not JSON, the line itself); ``error`` says why it cannot be verified; ``verified`` is
    the corrected copy with a ``verification`` key once it has been checked."""

    where: str | None
    original: Any
    error: str | None = None
    verified: dict[str, Any] | None = None


@dataclass
class AnswerFile:
    """An answer file read for verification: its form and its entries in file order."""

    path: Path
    form: FileForm
    entries: list[AnswerEntry]

    @property
    def skipped(self) -> list[AnswerEntry]:
        """Entries that could not be verified."""
        return [e for e in self.entries if e.error is not None]

    def write(self, out: Path | str) -> None:
        """Write the entries to ``out`` in the input's form: verified answers corrected,
        skipped ones as they were."""
        if self.form == "jsonl":
            lines = [_jsonl_line(e) for e in self.entries]
            Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            return
        values = [e.verified if e.verified is not None else e.original for e in self.entries]
        data = values[0] if self.form == "object" else values
        Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _jsonl_line(entry: AnswerEntry) -> str:
    if entry.verified is not None:
        return json.dumps(entry.verified, ensure_ascii=False)
    if isinstance(entry.original, str) and entry.error and "not valid JSON" in entry.error:
        return entry.original
    return json.dumps(entry.original, ensure_ascii=False)


def answer_problem(record: Any) -> str | None:
    """Why ``record`` is not an answer object with a text ``output`` and a list of passage
    objects ``ctxs``; None when it is one."""
    if not isinstance(record, dict):
        return f"expected an answer object, got {type(record).__name__}"
    if not isinstance(record.get("output"), str):
        return "answer has no text 'output'"
    ctxs = record.get("ctxs")
    if not isinstance(ctxs, list) or not all(
        isinstance(c, dict) and isinstance(c.get("text", ""), str) for c in ctxs
    ):
        return "'ctxs' must be a list of objects with a text 'text'"
    return None


def read_answer_file(path: Path | str) -> AnswerFile:
    """Read ``path`` as answers. Raises InputError naming the file (and line or item) when it
    cannot be read at all or holds no usable answer; bad entries of a list or JSONL file are
    kept as skipped entries instead."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if not raw.strip():
        raise InputError(f"{path}: empty file, expected an answer object, a list or JSONL")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        if not raw.lstrip().startswith("{"):
            raise InputError(f"{path}:{exc.lineno}: {json_error(exc)}") from exc
        answers = AnswerFile(path, "jsonl", list(_jsonl_entries(path, raw)))
    else:
        if isinstance(data, list):
            entries = [AnswerEntry(f"item {i + 1}", r) for i, r in enumerate(data)]
            answers = AnswerFile(path, "list", entries)
        elif path.suffix in (".jsonl", ".ndjson"):
            answers = AnswerFile(path, "jsonl", [AnswerEntry("line 1", data)])
        else:
            answers = AnswerFile(path, "object", [AnswerEntry(None, data)])
    for entry in answers.entries:
        if entry.error is None and (problem := answer_problem(entry.original)):
            entry.error = f"{_place(path, entry.where)}: {problem}"
    if len(answers.skipped) == len(answers.entries):
        raise InputError("; ".join(e.error or "" for e in answers.entries[:3]))
    return answers


def _place(path: Path, where: str | None) -> str:
    """``file:line`` for a JSONL line (the form every other message uses), ``file (item n)``
    for a list item, the file alone for a single object."""
    if where is None:
        return str(path)
    if where.startswith("line "):
        return f"{path}:{where.removeprefix('line ')}"
    return f"{path} ({where})"


def _jsonl_entries(path: Path, raw: str) -> list[AnswerEntry]:
    entries: list[AnswerEntry] = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(AnswerEntry(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            error = f"{path}:{number}: {json_error(exc)}"
            entries.append(AnswerEntry(f"line {number}", line, error=error))
    return entries


def verify_record(
    record: dict[str, Any], judge: SupportJudge, *, zero_based: bool = False
) -> dict[str, Any]:
    """A copy of one answer object with ``output`` corrected and ``verification`` added;
    ``ctxs`` is the same list, untouched."""
    ctxs = record["ctxs"]
    result = verify_answer(
        record["output"],
        [c.get("text") or "" for c in ctxs],
        judge,
        zero_based=zero_based,
        passage_ids=[c.get("passage_id") for c in ctxs],
    )
    return {**record, "output": result.text, "verification": result.to_dict()}


def verify_file(path: Path | str, *, zero_based: bool = False, judge: SupportJudge) -> AnswerFile:
    """Read ``path`` (see ``read_answer_file``) and verify every usable answer in it."""
    answers = read_answer_file(path)
    for entry in answers.entries:
        if entry.error is None:
            entry.verified = verify_record(entry.original, judge, zero_based=zero_based)
    return answers
