"""Read and write the files retrieval evaluation exchanges.

- TREC run: ``qid Q0 docid rank score tag`` (whitespace separated; the rank column is ignored
  when scoring, as trec_eval ignores it).
- Qrels: BEIR TSV ``query-id corpus-id score`` (header line optional) or TREC
  ``qid iter docid rel``.
- Queries: BEIR ``queries.jsonl`` (``{"_id", "text"}``) or SciFact claims (``{"id", "claim"}``).

Every reader takes ``errors``: when a list is given, each bad line becomes a
:class:`~litsynth.errors.RecordError` (file and 1-based line) appended to it and the rest of
the file is still read; when ``None`` the first bad line raises. ``.gz`` files are read
through gzip.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from litsynth.errors import InputError, RecordError
from litsynth.text import json_error

#: qid -> docid -> score (a run) or relevance grade (qrels), as pytrec_eval takes them.
Scores = dict[str, dict[str, float]]


def _open(path: Path) -> IO[str]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, stripped line) for every non-blank line."""
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if stripped:
                yield number, stripped


def _bad(errors: list[RecordError] | None, path: Path, line: int, reason: str) -> None:
    error = RecordError(str(path), line, reason)
    if errors is None:
        raise error
    errors.append(error)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_run(path: Path, errors: list[RecordError] | None = None) -> Scores:
    """A TREC run file as ``{qid: {docid: score}}``. A docid repeated within a query is an
    error (trec_eval refuses such runs); its first occurrence is kept."""
    run: Scores = {}
    for number, line in _lines(path):
        fields = line.split()
        if len(fields) != 6:
            reason = f"expected 6 fields 'qid Q0 docid rank score tag', got {len(fields)}"
            _bad(errors, path, number, reason)
            continue
        qid, _, docid, _, score_text, _ = fields
        score = _number(score_text)
        if score is None:
            _bad(errors, path, number, f"score {score_text!r} is not a finite number")
            continue
        docs = run.setdefault(qid, {})
        if docid in docs:
            _bad(errors, path, number, f"docid {docid!r} appears twice for query {qid!r}")
            continue
        docs[docid] = score
    return run


def read_qrels(path: Path, errors: list[RecordError] | None = None) -> Scores:
    """Relevance judgements as ``{qid: {docid: grade}}`` from a BEIR TSV (3 columns, with or
    without its ``query-id corpus-id score`` header) or a TREC qrels file (4 columns). A
    repeated (qid, docid) pair is an error; its first grade is kept."""
    qrels: Scores = {}
    for number, line in _lines(path):
        fields = line.split()
        if len(fields) == 3:
            qid, docid, grade_text = fields
        elif len(fields) == 4:
            qid, _, docid, grade_text = fields
        else:
            _bad(errors, path, number, f"expected 3 (BEIR) or 4 (TREC) fields, got {len(fields)}")
            continue
        grade = _number(grade_text)
        if grade is None:
            if number == 1 and len(fields) == 3:
                continue  # the BEIR header line
            _bad(errors, path, number, f"relevance {grade_text!r} is not a number")
            continue
        judged = qrels.setdefault(qid, {})
        if docid in judged:
            _bad(errors, path, number, f"docid {docid!r} judged twice for query {qid!r}")
            continue
        judged[docid] = grade
    return qrels


def read_queries(path: Path, errors: list[RecordError] | None = None) -> list[tuple[str, str]]:
    """``(qid, text)`` pairs in file order from BEIR queries (``_id``, ``text``) or SciFact
    claims (``id``, ``claim``) JSONL. Ids are returned as strings."""
    queries: list[tuple[str, str]] = []
    for number, line in _lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            _bad(errors, path, number, json_error(exc))
            continue
        if not isinstance(record, dict):
            _bad(errors, path, number, "a query must be a JSON object")
            continue
        if "_id" in record and isinstance(record.get("text"), str):
            qid, text = record["_id"], record["text"]
        elif "id" in record and isinstance(record.get("claim"), str):
            qid, text = record["id"], record["claim"]
        else:
            reason = "expected keys '_id' and 'text' (BEIR) or 'id' and 'claim' (SciFact)"
            _bad(errors, path, number, reason)
            continue
        queries.append((str(qid), text))
    return queries


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Docids in the order trec_eval scores them: score descending, ties broken by docid
    descending (trec_eval's ``comp_sim_docno`` compares ``strcmp(docno2, docno1)``; Python's
    code-point order equals strcmp's UTF-8 byte order)."""
    ordered = sorted(scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return [docid for docid, _ in ordered]


def write_run(path: Path, run: Mapping[str, Mapping[str, float]], tag: str = "litsynth") -> None:
    """Write ``run`` as a TREC run file with ranks 1..N in trec_eval's scoring order, so the
    rank column agrees with what any scorer computes from the scores."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for qid, scores in run.items():
            for rank, docid in enumerate(ranking(scores), start=1):
                if any(part.split() != [part] for part in (qid, docid)):
                    raise InputError(
                        f"{path}: query {qid!r} / docid {docid!r} is empty or has white space"
                    )
                # repr keeps every digit, so reading the file back cannot create new ties.
                handle.write(f"{qid} Q0 {docid} {rank} {float(scores[docid])!r} {tag}\n")
