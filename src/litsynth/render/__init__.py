"""Output formats for answers: Markdown, JSON (OpenScholar/ScholarQABench fields), BibTeX, HTML."""

from __future__ import annotations

import json
from pathlib import Path

from litsynth.errors import UsageError
from litsynth.records import Answer
from litsynth.render.bibtex import render_bibtex
from litsynth.render.html import render_html
from litsynth.render.markdown import render_markdown

__all__ = ["render_answer", "render_bibtex", "render_html", "render_markdown", "write_answer"]

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


def write_answer(answer: Answer, path: Path, *, zero_based: bool = False) -> None:
    """Write ``answer`` in the format its extension names (``.md``, ``.json``, ``.html``,
    ``.bib``)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot tell the output format of {path}", hint="use a .md, .json, .html or .bib file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_answer(answer, fmt, zero_based=zero_based) + "", encoding="utf-8")
