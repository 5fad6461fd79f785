"""Normalised external ids and the stable paper id (CONTRACT.md: ``doi:…``, ``arxiv:…``,
``pmid:…``, ``s2:…``, ``s2corpus:…`` or a content hash)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping

from litsynth.records import ID_KINDS, Paper

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(r"^(?:https?://arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.IGNORECASE)
_ARXIV_VERSION = re.compile(r"v\d+$")
_ARXIV_NEW = re.compile(r"^\d{4}\.\d{4,5}$")
# Old-style ids: archive[.SUBCLASS]/YYMMNNN; the subject class is not part of the id.
_ARXIV_OLD = re.compile(r"^([a-z-]+)(?:\.[a-z-]{2,})?/(\d{7})$", re.IGNORECASE)
_DAMAGED_ARXIV = re.compile(r"^(\d{3,4})\.(\d{1,5})$")
# From 1501 on, arXiv ids carry five digits after the dot.
_FIVE_DIGIT_FROM = 1501

_S2_URL = "https://www.semanticscholar.org/paper/"
_URL_TEMPLATES: dict[str, str] = {
    "doi": "https://doi.org/{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "s2": _S2_URL + "{}",
    "s2corpus": "https://api.semanticscholar.org/CorpusID:{}",
}


def normalise_doi(value: str | None) -> str | None:
    """``value`` as a bare lower-case DOI (``10.…``), or ``None`` when it is not a DOI."""
    if not value:
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().lower()
    return doi if doi.startswith("10.") and "/" in doi else None


def normalise_arxiv(value: str | None) -> str | None:
    """``value`` as a bare arXiv id without prefix or version (``0704.0001``,
    ``hep-th/9901001``), or ``None`` when it is not one.

    Ids that went through a spreadsheet lost their leading and trailing zeros
    (``704.2`` for ``0704.2000``); they are rebuilt from the yymm part and the number of
    digits arXiv used in that month.
    """
    if value is None:
        return None
    text = _ARXIV_VERSION.sub("", _ARXIV_PREFIX.sub("", str(value).strip()))
    old = _ARXIV_OLD.match(text)
    if old:
        return f"{old.group(1).lower()}/{old.group(2)}"
    damaged = _DAMAGED_ARXIV.match(text)
    if damaged and not _ARXIV_NEW.match(text):
        yymm = damaged.group(1).zfill(4)
        width = 5 if int(yymm) >= _FIVE_DIGIT_FROM else 4
        text = f"{yymm}.{damaged.group(2).ljust(width, '0')}"
    return text if _ARXIV_NEW.match(text) and 1 <= int(text[2:4]) <= 12 else None


def normalise_title(title: str) -> str:
    """``title`` reduced for comparison: case-folded, accents, punctuation and spaces gone."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def title_key(paper: Paper) -> str | None:
    """The title dedup key, only for titles of at least 5 words with a known year
    (CONTRACT.md: shorter titles collide too often to merge on)."""
    if paper.year is None or len(paper.title.split()) < 5:
        return None
    return normalise_title(paper.title) or None


def normalise_external_ids(ids: Mapping[str, object]) -> dict[str, str]:
    """Known kinds normalised (DOI, arXiv), empty values dropped, other kinds kept as text."""
    out: dict[str, str] = {}
    for kind, raw in ids.items():
        if raw is None or str(raw).strip() == "":
            continue
        if kind == "doi":
            value = normalise_doi(str(raw))
        elif kind == "arxiv":
            value = normalise_arxiv(str(raw))
        else:
            value = str(raw).strip()
        if value:
            out[kind] = value
    return out


def make_paper_id(
    external_ids: Mapping[str, object], raw_id: str | None, title: str, text: str
) -> str:
    """The stable paper id: the first external id by preference (doi > arxiv > pmid > s2 >
    s2corpus), else ``h:`` + 16 hex digits of a hash over the raw id, title and text, so the
    same text under different raw ids stays distinct and re-reading a file gives the same id."""
    ids = normalise_external_ids(external_ids)
    for kind in ID_KINDS:
        if kind in ids:
            return f"{kind}:{ids[kind]}"
    payload = json.dumps([raw_id, title, text], ensure_ascii=False)
    return "h:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def paper_url(external_ids: Mapping[str, str]) -> str | None:
    """A landing page derived from the preferred external id, or ``None``."""
    for kind in ID_KINDS:
        if kind in external_ids:
            return _URL_TEMPLATES[kind].format(external_ids[kind])
    return None


def s2_id_from_url(url: str | None) -> str | None:
    """The paperId in a Semantic Scholar paper URL (``…/paper/<title-slug>/<sha>`` too)."""
    if not url or not url.startswith(_S2_URL):
        return None
    last = url.rstrip("/").rsplit("/", 1)[-1]
    return last if re.fullmatch(r"[0-9a-f]{40}", last) else None
