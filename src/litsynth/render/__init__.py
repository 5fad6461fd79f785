"""Output formats for answers: Markdown, JSON (OpenScholar/ScholarQABench fields), BibTeX, HTML."""

from __future__ import annotations

import json
from pathlib import Path

from litsynth.errors import UsageError
from litsynth.records import Answer
from litsynth.render.bibtex import render_bibtex
from litsynth.render.files import write_text
from litsynth.render.html import render_html
from litsynth.render.markdown import render_markdown

__all__ = [
    "answer_format",
    "render_answer",
    "render_bibtex",
    "render_html",
    "render_markdown",
    "write_answer",
]

FORMATS = {".md": "markdown", ".json": "json", ".html": "html", ".bib": "bibtex"}


def render_answer(answer: Answer, fmt: str, *, zero_based: bool = False) -> str:
    """``answer`` as ``markdown``, ``json``, ``html`` or ``bibtex`` text."""
    if fmt == "json":
        return json.dumps(answer.to_json(zero_based=zero_based), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return render_markdown(answer)
    if fmt == "html":
        return render_html(answer)
    if fmt == "bibtex":
        return render_bibtex(answer)
    raise UsageError(f"unknown output format {fmt!r}", hint="use md, json, html or bib")


def answer_format(path: Path) -> str:
    """The format an answer file's extension names; :class:`UsageError` for any other."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot tell the output format of {path}", hint="use a .md, .json, .html or .bib file"
        )
    return fmt


def write_answer(
    answer: Answer, path: Path, *, zero_based: bool = False, option: str = "--out"
) -> None:
    """Write ``answer`` in the format its extension names (``.md``, ``.json``, ``.html``,
    ``.bib``), creating missing parent folders; :class:`~litsynth.render.files.OutputError`
    when the path cannot be written."""
    fmt = answer_format(path)
    write_text(path, render_answer(answer, fmt, zero_based=zero_based), option=option)
