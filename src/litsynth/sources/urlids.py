"""External ids (arXiv, DOI, PMID, PMCID, S2) read off a paper's URL, for dedup across
sources."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from litsynth.corpus.ids import normalise_arxiv, normalise_doi, s2_id_from_url

_ARXIV_PATH = re.compile(r"^/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$")
_DOI_IN_PATH = re.compile(r"(?:^|/)(?:doi/(?:abs/|full/|pdf/|epdf/)?)?(10\.\d{4,9}/[^?#\s]+)")
_PUBMED_PATH = re.compile(r"^/(\d+)/?$")
_PMC_PATH = re.compile(r"/pmc/articles/(PMC\d+)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")


def host_of(url: str) -> str:
    """The lower-case host of ``url`` (``""`` when it has none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def on_domain(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or one of its subdomains (``www.nature.com`` is on
    ``nature.com``; ``evilnature.com`` is not)."""
    host, domain = host.lower().rstrip("."), domain.lower().strip().lstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def ids_from_url(url: str | None) -> dict[str, str]:
    """The ids a URL reveals: ``arxiv`` from arxiv.org and arXiv DOIs, ``doi`` from doi.org
    and ``/doi/10.…`` paths, ``pmid`` from PubMed, ``pmcid`` from PMC, ``s2`` from
    semanticscholar.org paper pages."""
    if not url:
        return {}
    host = host_of(url)
    path = unquote(urlsplit(url.strip()).path)
    ids: dict[str, str] = {}
    if on_domain(host, "arxiv.org"):
        match = _ARXIV_PATH.match(path)
        arxiv = normalise_arxiv(match.group(1)) if match else None
        if arxiv:
            ids["arxiv"] = arxiv
    elif on_domain(host, "doi.org"):
        doi = normalise_doi(path.lstrip("/"))
        if doi:
            ids["doi"] = doi
    elif host == "pubmed.ncbi.nlm.nih.gov":
        match = _PUBMED_PATH.match(path)
        if match:
            ids["pmid"] = match.group(1)
    elif on_domain(host, "semanticscholar.org"):
        s2 = s2_id_from_url("https://www.semanticscholar.org" + path)
        if s2:
            ids["s2"] = s2
    if "doi" not in ids and "arxiv" not in ids:
        match = _DOI_IN_PATH.search(path)
        doi = normalise_doi(match.group(1).rstrip("/.")) if match else None
        if doi:
            ids["doi"] = doi
    pmc = _PMC_PATH.search(path)
    if pmc:
        ids["pmcid"] = pmc.group(1).upper()
    arxiv_doi = _ARXIV_DOI.match(ids.get("doi", ""))
    if arxiv_doi and "arxiv" not in ids:
        arxiv = normalise_arxiv(arxiv_doi.group(1))
        if arxiv:
            ids["arxiv"] = arxiv
    return ids
