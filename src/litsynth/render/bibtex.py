"""BibTeX entries for the papers an answer cites."""

from __future__ import annotations

import re

from litsynth.records import Answer, Reference
from litsynth.render.markdown import display_title


def _key(ref: Reference, taken: set[str]) -> str:
    surname = ref.authors[0].name.split()[-1] if ref.authors and ref.authors[0].name else "anon"
    first_word = next((w for w in re.findall(r"[A-Za-z]+", ref.title) if len(w) > 3), "paper")
    base = re.sub(r"[^a-z0-9]", "", f"{surname}{ref.year or ''}{first_word}".lower()) or "ref"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{n}"
    taken.add(key)
    return key


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def render_bibtex(answer: Answer) -> str:
    """One ``@article`` per reference, in reference order."""
    taken: set[str] = set()
    entries = []
    for ref in answer.references:
        fields = {
            "title": display_title(ref.title, ref.paper_id),
            "author": " and ".join(a.name for a in ref.authors if a.name),
            "year": str(ref.year) if ref.year else "",
            "journal": ref.venue or "",
            "doi": ref.doi or "",
            "url": ref.url or "",
        }
        body = ",\n".join(f"  {k} = {{{_escape(v)}}}" for k, v in fields.items() if v)
        entries.append(f"@article{{{_key(ref, taken)},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")
