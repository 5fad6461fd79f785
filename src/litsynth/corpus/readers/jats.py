"""PMC full text in JATS XML (``.nxml``): title, abstract, body sections (nested sections
titled "Parent / Child"), PMID/PMCID/DOI, year, journal, authors and licence. Figures,
tables, formulas, footnotes, bibliography citations and the reference list are left out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from litsynth.corpus.readers._common import build_document, parse_year
from litsynth.corpus.readers._xml import (
    children,
    descendants,
    element_text,
    find,
    local_name,
    read_xml_documents,
)
from litsynth.errors import RecordError
from litsynth.records import Author, Document, Section

FORMAT = "jats"
RECORD_TAGS = frozenset({"article"})

_SKIPPED = frozenset(
    {
        "fig",
        "fig-group",
        "table-wrap",
        "table-wrap-group",
        "table",
        "ref-list",
        "fn-group",
        "supplementary-material",
        "disp-formula",
        "graphic",
        "media",
        "label",
        "title",
        "object-id",
    }
)
# Abstracts that are not the paper's summary (PMC's table-of-contents blurbs and the like).
_SIDE_ABSTRACTS = frozenset({"toc", "graphical", "teaser", "editor-summary", "web-summary"})
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _skip(elem: ET.Element) -> bool:
    name = local_name(elem.tag)
    return name in _SKIPPED or (name == "xref" and elem.get("ref-type") == "bibr")


def read_jats(path: Path) -> Iterator[Document | RecordError]:
    """Documents from a JATS file (one ``article``, or several in a PMC article set)."""
    return read_xml_documents(path, RECORD_TAGS, _document)


def _document(path: Path, index: int, article: ET.Element) -> Document | RecordError:
    meta = find(article, "front", "article-meta")
    ids = {
        kind: element_text(e)
        for e in children(meta, "article-id")
        if (kind := {"pmid": "pmid", "pmc": "pmcid", "doi": "doi"}.get(e.get("pub-id-type", "")))
    }
    if ids.get("pmcid", "").isdigit():
        ids["pmcid"] = f"PMC{ids['pmcid']}"
    raw_id = ids.get("pmcid") or ids.get("pmid") or ids.get("doi")
    journal = find(article, "front", "journal-meta")
    return build_document(
        source=FORMAT,
        path=path,
        line=index,
        raw_id=raw_id,
        title=element_text(find(meta, "title-group", "article-title"), _skip),
        abstract=_abstract(meta),
        body=_body_sections(find(article, "body")),
        external_ids=ids,
        authors=_authors(meta),
        year=_year(meta),
        venue=next((element_text(t) for t in descendants(journal, "journal-title")), None),
        licence=_licence(meta),
    )


def _abstract(meta: ET.Element | None) -> str | list[tuple[str, str]]:
    abstract = next(
        (a for a in children(meta, "abstract") if a.get("abstract-type") not in _SIDE_ABSTRACTS),
        None,
    )
    if abstract is None:
        return ""
    secs = children(abstract, "sec")
    if secs:
        return [(element_text(find(sec, "title")), _own_text(sec)) for sec in secs]
    return _own_text(abstract)


def _own_text(elem: ET.Element) -> str:
    """The text of ``elem`` outside its titles and nested sections, paragraph by paragraph."""
    return " ".join(element_text(child, _skip) for child in elem if not _skip(child))


def _body_sections(body: ET.Element | None) -> list[Section]:
    if body is None:
        return []
    sections: list[Section] = []
    _walk(body, "", sections)
    return sections


def _walk(elem: ET.Element, heading: str, sections: list[Section]) -> None:
    """Append ``elem``'s own paragraphs under ``heading``, then its sub-sections in order;
    a sub-section's heading is "Parent / Child"."""
    blocks: list[str] = []
    for child in elem:
        if local_name(child.tag) == "sec":
            _flush(blocks, heading, sections)
            title = element_text(find(child, "title"), _skip)
            nested = f"{heading} / {title}" if heading and title else heading or title
            _walk(child, nested, sections)
        elif not _skip(child):
            blocks.append(element_text(child, _skip))
    _flush(blocks, heading, sections)


def _flush(blocks: list[str], heading: str, sections: list[Section]) -> None:
    text = " ".join(b for b in blocks if b)
    if text:
        sections.append(Section(text, heading))
    blocks.clear()


def _year(meta: ET.Element | None) -> int | None:
    """The earliest publication year given (epub, ppub or collection)."""
    years = [parse_year(element_text(find(d, "year"))) for d in children(meta, "pub-date")]
    return min((y for y in years if y), default=None)


def _authors(meta: ET.Element | None) -> list[Author]:
    authors = []
    for group in children(meta, "contrib-group"):
        for contrib in children(group, "contrib"):
            if contrib.get("contrib-type") != "author":
                continue
            name = find(contrib, "name")
            parts = (element_text(find(name, "given-names")), element_text(find(name, "surname")))
            full = " ".join(p for p in parts if p) or element_text(find(contrib, "collab"))
            if full:
                authors.append(Author(full))
    return authors


def _licence(meta: ET.Element | None) -> str | None:
    """The licence URL or text; older articles state it only in the copyright statement."""
    licence = find(meta, "permissions", "license")
    if licence is not None:
        return licence.get(_XLINK_HREF) or element_text(licence) or licence.get("license-type")
    statements = descendants(meta, "copyright-statement")
    statement = element_text(statements[0]) if statements else ""
    return statement if "creative commons" in statement.lower() else None
