"""Markdown rendering of an Answer: the text, then one entry per cited passage ``[n]``."""

from __future__ import annotations

from litsynth.records import Answer, Author, Hit
from litsynth.synthesize.markers import find_markers

EXTRACTIVE_LABEL = (
    "*Extractive synthesis: every sentence below is quoted from the cited passage; "
    "no language model was used.*"
)


def format_authors(authors: list[Author], limit: int = 3) -> str:
    """``"A, B, C et al."`` (at most ``limit`` names)."""
    names = [a.name for a in authors if a.name]
    if not names:
        return "Unknown authors"
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def display_title(title: str, paper_id: str) -> str:
    """The title without its final period, or ``Untitled (paper id)`` when there is none."""
    return title.strip().rstrip(".") or f"Untitled ({paper_id})"


def _terminated(text: str) -> str:
    """``text`` ending in a period, unless it already ends in a question or exclamation mark
    (titles such as "What … Work Best?" or "Skill-it!")."""
    return text if text.endswith(("?", "!")) else f"{text}."


def format_source_line(hit: Hit) -> str:
    """Authors (year). Title. Venue. DOI/URL — the bibliographic line of a cited passage."""
    paper = hit.paper
    year = f" ({paper.year})" if paper.year else ""
    parts = [
        f"{format_authors(paper.authors)}{year}.",
        _terminated(display_title(paper.title, paper.id)),
    ]
    if paper.venue:
        parts.append(f"*{paper.venue}*.")
    link = f"https://doi.org/{paper.doi}" if paper.doi else paper.url
    if link:
        parts.append(link)
    return " ".join(parts)


def excerpt(text: str, limit: int = 300) -> str:
    """The passage text cut at a word boundary near ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def render_markdown(answer: Answer) -> str:
    """The answer as Markdown; reference numbers are the ``[n]`` of the text (``ctxs[n-1]``)."""
    lines = [f"# {answer.question}", ""]
    if answer.mode == "extractive":
        lines += [EXTRACTIVE_LABEL, ""]
    lines += [answer.text, ""]
    cited = sorted(set(find_markers(answer.text)))
    entries = [n for n in cited if 1 <= n <= len(answer.ctxs)]
    if entries:
        lines += ["## References", ""]
        for n in entries:
            hit = answer.ctxs[n - 1]
            lines.append(f"[{n}] {format_source_line(hit)}")
            lines.append(f"    > {excerpt(hit.passage.text)}")
            lines.append("")
    if answer.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in answer.warnings] + [""]
    return "\n".join(lines).rstrip() + "\n"
