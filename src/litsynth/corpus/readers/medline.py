"""MEDLINE / PubMed XML (``MedlineCitationSet``, ``PubmedArticleSet``, single
``PubmedArticle``), plain or ``.gz``: PMID, title, abstract (structured abstracts keep their
labels), authors, journal, year, DOI, PMCID and MeSH headings."""

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
from litsynth.records import Author, Document

FORMAT = "medline"
RECORD_TAGS = frozenset({"PubmedArticle", "MedlineCitation"})


def read_medline(path: Path) -> Iterator[Document | RecordError]:
    """Documents from a MEDLINE/PubMed XML file; positions are 1-based citation indexes."""
    return read_xml_documents(path, RECORD_TAGS, _document)


def _document(path: Path, index: int, record: ET.Element) -> Document | RecordError:
    is_citation = local_name(record.tag) == "MedlineCitation"
    citation = record if is_citation else find(record, "MedlineCitation")
    article = find(citation, "Article")
    pmid = element_text(find(citation, "PMID"))
    if not pmid:
        return RecordError(str(path), index, "citation has no PMID")
    ids = {"pmid": pmid, **_article_ids(record, article)}
    return build_document(
        source=FORMAT,
        path=path,
        line=index,
        raw_id=pmid,
        title=element_text(find(article, "ArticleTitle")),
        abstract=_abstract(article),
        external_ids=ids,
        authors=_authors(article),
        year=_year(article),
        venue=element_text(find(article, "Journal", "Title")),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        fields_of_study=[
            element_text(find(heading, "DescriptorName"))
            for heading in descendants(find(citation, "MeshHeadingList"), "MeshHeading")
        ],
    )


def _article_ids(record: ET.Element, article: ET.Element | None) -> dict[str, str]:
    ids: dict[str, str] = {}
    for location in children(article, "ELocationID"):
        if location.get("EIdType") == "doi":
            ids.setdefault("doi", element_text(location))
    for article_id in descendants(find(record, "PubmedData", "ArticleIdList"), "ArticleId"):
        kind = {"doi": "doi", "pmc": "pmcid"}.get(article_id.get("IdType", ""))
        if kind:
            ids.setdefault(kind, element_text(article_id))
    return ids


def _abstract(article: ET.Element | None) -> str | list[tuple[str, str]]:
    parts = children(find(article, "Abstract"), "AbstractText")
    if any(p.get("Label") for p in parts):
        return [(p.get("Label", ""), element_text(p)) for p in parts]
    return " ".join(element_text(p) for p in parts)


def _authors(article: ET.Element | None) -> list[Author]:
    authors = []
    for author in children(find(article, "AuthorList"), "Author"):
        name = element_text(find(author, "CollectiveName")) or " ".join(
            part
            for part in (
                element_text(find(author, "ForeName")),
                element_text(find(author, "LastName")),
            )
            if part
        )
        if name:
            authors.append(Author(name))
    return authors


def _year(article: ET.Element | None) -> int | None:
    pub_date = find(article, "Journal", "JournalIssue", "PubDate")
    return (
        parse_year(element_text(find(pub_date, "Year")))
        or parse_year(element_text(find(pub_date, "MedlineDate")))
        or parse_year(element_text(find(article, "ArticleDate", "Year")))
    )
