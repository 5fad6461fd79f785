"""A standalone HTML page for an Answer. Passage text is data: everything is escaped."""

from __future__ import annotations

import html
import re

from litsynth.records import Answer
from litsynth.render.markdown import EXTRACTIVE_LABEL, excerpt, format_source_line
from litsynth.synthesize.markers import find_markers


def render_html(answer: Answer) -> str:
    """The answer with ``[n]`` linked to its reference entry."""
    body = html.escape(answer.text)
    body = re.sub(r"\[(\d+)\]", r'<a href="#ref-\1">[\1]</a>', body)
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    refs = []
    for n in sorted(set(find_markers(answer.text))):
        if 1 <= n <= len(answer.ctxs):
            hit = answer.ctxs[n - 1]
            refs.append(
                f'<li id="ref-{n}" value="{n}">{html.escape(format_source_line(hit))}'
                f"<blockquote>{html.escape(excerpt(hit.passage.text))}</blockquote></li>"
            )
    label = (
        f"<p><em>{html.escape(EXTRACTIVE_LABEL.strip('*'))}</em></p>"
        if (answer.mode == "extractive")
        else ""
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in answer.warnings)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(answer.question)}</title></head><body>"
        f"<h1>{html.escape(answer.question)}</h1>{label}{paragraphs}"
        f"<h2>References</h2><ol>{''.join(refs)}</ol>"
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + "</body></html>\n"
    )
