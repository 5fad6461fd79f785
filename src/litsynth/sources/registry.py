"""Building the live sources named on the command line, and querying them side by side."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from litsynth.config import Settings
from litsynth.errors import SourceError, UsageError
from litsynth.records import Hit
from litsynth.sources.base import SearchFilters, Source
from litsynth.sources.http import ResponseCache, client_for
from litsynth.sources.live import LIVE_SOURCES
from litsynth.sources.netguard import check_sources_allowed
from litsynth.sources.openalex import OpenAlexSource
from litsynth.sources.s2 import SemanticScholarSource, normalise_s2_base
from litsynth.sources.web import WebSearchSource, YouComProvider

__all__ = ["LIVE_SOURCES", "build_live_sources", "search_all"]

log = logging.getLogger(__name__)

#: Names ``--sources`` accepts that are not live (built by the local datastore code).
LOCAL_SOURCES: tuple[str, ...] = ("local",)


def _s2(settings: Settings, cache: ResponseCache | None) -> Source:
    conf = settings.sources
    client = client_for(
        "s2",
        normalise_s2_base(conf.s2_api_url),
        settings,
        headers={"x-api-key": conf.s2_api_key or ""},
        cache=cache,
    )
    return SemanticScholarSource(client)


def _openalex(settings: Settings, cache: ResponseCache | None) -> Source:
    conf = settings.sources
    params = {"mailto": conf.openalex_mailto} if conf.openalex_mailto else None
    client = client_for("openalex", conf.openalex_url, settings, params=params, cache=cache)
    return OpenAlexSource(client)


def _web(settings: Settings, cache: ResponseCache | None) -> Source:
    conf = settings.sources
    client = client_for(
        "web",
        conf.web_search_url,
        settings,
        headers={"X-API-Key": conf.ydc_api_key or ""},
        cache=cache,
    )
    provider = YouComProvider(client, has_key=bool(conf.ydc_api_key))
    return WebSearchSource(provider, conf.academic_domains)


_FACTORIES: dict[str, Callable[[Settings, ResponseCache | None], Source]] = {
    "s2": _s2,
    "openalex": _openalex,
    "web": _web,
}


def build_live_sources(
    names: Iterable[str], settings: Settings, *, cache: ResponseCache | None = None
) -> list[Source]:
    """The live sources among ``names`` (``local`` is skipped: it is built elsewhere), in
    the order given. Raises :class:`UsageError` for an unknown name, or for a live source
    named while ``settings.offline`` is set."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in wanted if n not in LIVE_SOURCES and n not in LOCAL_SOURCES]
    if unknown:
        choices = ", ".join((*LOCAL_SOURCES, *LIVE_SOURCES))
        raise UsageError(f"unknown source(s): {', '.join(unknown)}", hint=f"choose from {choices}")
    check_sources_allowed(wanted, settings.offline)
    return [_FACTORIES[name](settings, cache) for name in wanted if name in _FACTORIES]


def _run_one(
    source: Source, query: str, k: int, filters: SearchFilters | None
) -> tuple[list[Hit], list[str]]:
    try:
        hits = source.search(query, k, filters)
    except SourceError as exc:
        return [], [str(exc) if str(exc).startswith(f"{source.name}:") else f"{source.name}: {exc}"]
    except Exception as exc:
        # A bug or an unforeseen response in one source must not sink the whole answer.
        log.exception("%s: search failed", source.name)
        return [], [f"{source.name}: unexpected error ({type(exc).__name__}: {exc})"]
    drain = getattr(source, "drain_warnings", None)
    return hits, list(drain()) if callable(drain) else []


def search_all(
    sources: Sequence[Source], query: str, k: int, filters: SearchFilters | None = None
) -> tuple[dict[str, list[Hit]], list[str]]:
    """Query every source at once (one thread each). Returns the hits by source name and
    the warnings (``"s2: HTTP 500 after 3 tries"``); a failing source contributes an empty
    list and a warning, never an exception."""
    if not sources:
        return {}, []
    with ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="source") as pool:
        futures = [pool.submit(_run_one, s, query, k, filters) for s in sources]
        results = [f.result() for f in futures]
    hits: dict[str, list[Hit]] = {}
    warnings: list[str] = []
    for source, (found, notes) in zip(sources, results, strict=True):
        hits[source.name] = found
        warnings.extend(notes)
    return hits, warnings
