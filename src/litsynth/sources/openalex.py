"""OpenAlex works search: one title+abstract passage per work."""

from __future__ import annotations

from typing import Any

from litsynth.corpus.ids import make_paper_id, normalise_external_ids, paper_url
from litsynth.records import Author, Hit, Paper
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.live import (
    LiveSource,
    as_text,
    dicts,
    make_hit,
    rank_score,
    title_passage,
)
from litsynth.sources.urlids import ids_from_url
from litsynth.text import parse_int

#: The API's cap on ``per-page``.
MAX_PER_PAGE = 200
#: Semantic Scholar fields of study (what ``--field`` filters use) -> OpenAlex field ids
#: (the second level of its topic hierarchy, https://developers.openalex.org/api-reference/fields).
FIELD_IDS: dict[str, int] = {
    "agricultural and food sciences": 11,
    "art": 12,
    "history": 12,
    "philosophy": 12,
    "linguistics": 12,
    "biology": 13,
    "business": 14,
    "chemistry": 16,
    "computer science": 17,
    "geology": 19,
    "economics": 20,
    "engineering": 22,
    "environmental science": 23,
    "materials science": 25,
    "mathematics": 26,
    "medicine": 27,
    "neuroscience": 28,
    "physics": 31,
    "psychology": 32,
    "sociology": 33,
    "political science": 33,
    "education": 33,
    "law": 33,
    "geography": 33,
}


def filter_param(filters: SearchFilters) -> str | None:
    """The ``filter=`` value for ``filters``: years, citations, fields (unknown field names
    are left to the client-side check)."""
    parts: list[str] = []
    low, high = filters.year_min, filters.year_max
    if low is not None and high is not None:
        parts.append(f"publication_year:{low}-{high}")
    elif low is not None:
        parts.append(f"publication_year:>{low - 1}")
    elif high is not None:
        parts.append(f"publication_year:<{high + 1}")
    if filters.min_citations is not None:
        parts.append(f"cited_by_count:>{filters.min_citations - 1}")
    field_ids = sorted(
        {FIELD_IDS[f.lower()] for f in filters.fields_of_study if f.lower() in FIELD_IDS}
    )
    if field_ids and len(field_ids) == len({f.lower() for f in filters.fields_of_study}):
        parts.append("primary_topic.field.id:" + "|".join(str(i) for i in field_ids))
    return ",".join(parts) or None


def abstract_from_inverted_index(index: object) -> str:
    """Rebuild an abstract from OpenAlex's ``{word: [positions]}`` form."""
    if not isinstance(index, dict):
        return ""
    placed: dict[int, str] = {}
    for word, positions in index.items():
        if isinstance(word, str) and isinstance(positions, list):
            for position in positions:
                if isinstance(position, int) and position >= 0:
                    placed[position] = word
    return " ".join(placed[p] for p in sorted(placed))


def _fields_of_study(work: dict[str, Any]) -> list[str]:
    """OpenAlex field names, top-level concept names, and the S2 names mapping to the same
    fields, so a fields-of-study filter means the same for every source."""
    names: list[str] = []
    field_ids: set[int] = set()
    topics = [work["primary_topic"]] if isinstance(work.get("primary_topic"), dict) else []
    for topic in topics + dicts(work, "topics"):
        field = topic.get("field") if isinstance(topic.get("field"), dict) else {}
        names.append(as_text(field.get("display_name")))
        field_id = as_text(str(field.get("id") or "")).rsplit("/", 1)[-1]
        if field_id.isdigit():
            field_ids.add(int(field_id))
    names += [
        as_text(c.get("display_name")) for c in dicts(work, "concepts") if c.get("level") == 0
    ]
    names += [name.title() for name, fid in FIELD_IDS.items() if fid in field_ids]
    unique: dict[str, str] = {}
    for name in names:
        if name:
            unique.setdefault(name.lower(), name)
    return list(unique.values())


def paper_from_work(work: dict[str, Any]) -> Paper | None:
    """A Paper from an OpenAlex work; ``None`` without a title."""
    title = as_text(work.get("display_name")) or as_text(work.get("title"))
    if not title:
        return None
    raw = work.get("ids") if isinstance(work.get("ids"), dict) else {}
    location = work.get("primary_location")
    location = location if isinstance(location, dict) else {}
    venue = location.get("source") if isinstance(location.get("source"), dict) else {}
    landing = as_text(location.get("landing_page_url"))
    found: dict[str, object] = {}
    for url in (landing, as_text(raw.get("doi")) or as_text(work.get("doi"))):
        for kind, value in ids_from_url(url).items():
            found.setdefault(kind, value)
    pmid = ids_from_url(as_text(raw.get("pmid"))).get("pmid") or as_text(raw.get("pmid"))
    pmcid = ids_from_url(as_text(raw.get("pmcid"))).get("pmcid")
    openalex_id = as_text(raw.get("openalex") or work.get("id")).rsplit("/", 1)[-1]
    ids = normalise_external_ids({**found, "pmid": pmid, "pmcid": pmcid, "openalex": openalex_id})
    abstract = abstract_from_inverted_index(work.get("abstract_inverted_index"))
    return Paper(
        id=make_paper_id(ids, openalex_id or None, title, abstract),
        title=title,
        abstract=abstract,
        authors=[
            Author(as_text(a["author"].get("display_name")))
            for a in dicts(work, "authorships")
            if isinstance(a.get("author"), dict) and as_text(a["author"].get("display_name"))
        ],
        year=parse_int(work.get("publication_year")),
        venue=as_text(venue.get("display_name")) or None,
        url=paper_url(ids) or landing or None,
        citation_count=parse_int(work.get("cited_by_count")),
        external_ids=ids,
        source="openalex",
        source_ids={"openalex": openalex_id} if openalex_id else {},
        fields_of_study=_fields_of_study(work),
    )


class OpenAlexSource(LiveSource):
    """OpenAlex ``/works?search=``; scored by ``relevance_score`` when the API gives one."""

    name = "openalex"

    def __init__(self, client: HttpClient) -> None:
        super().__init__()
        self.client = client

    def _search(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        params = {
            "search": query,
            "per-page": min(k, MAX_PER_PAGE),
            "filter": filter_param(filters),
        }
        data = self.client.get_json("/works", params, query=query)
        hits = []
        for rank, work in enumerate(dicts(data, "results")):
            paper = paper_from_work(work)
            if paper is None:
                continue
            relevance = work.get("relevance_score")
            score = (
                float(relevance)
                if isinstance(relevance, int | float) and not isinstance(relevance, bool)
                else rank_score(rank)
            )
            text, section = title_passage(paper)
            hits.append(make_hit(paper, self.name, 0, text, section, score))
        return hits
