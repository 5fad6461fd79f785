"""`search -k N` returns N results when the sources hold them (CONTRACT.md: each channel's depth
is max(70, N)), and says how many and why when they do not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from litsynth import Litsynth, load_settings
from litsynth.records import Document, Hit, Paper, Passage, Section
from litsynth.retrieve.retriever import Retriever
from litsynth.sources.base import SearchFilters

#: Single-passage papers plus one paper whose six sections are six passages.
SHORT_PAPERS = 70
LONG_SECTIONS = 6


def _documents() -> list[Document]:
    docs = [
        Document(
            Paper(id=f"doi:10.5555/depth.{i}", title=f"Study {i} of sleep and memory"),
            [Section(f"Cohort {i}: sleep deprivation impaired working memory.", "Abstract")],
        )
        for i in range(SHORT_PAPERS)
    ]
    sections = [
        Section(f"Part {j}: sleep loss and memory consolidation in rodents.", f"Section {j}")
        for j in range(LONG_SECTIONS)
    ]
    docs.append(Document(Paper(id="doi:10.5555/depth.long", title="A long review"), sections))
    return docs


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Litsynth]:
    """A 76-passage store with the default settings (rerank.candidates 50, per_paper 3)."""
    home = tmp_path_factory.mktemp("depth-home")
    with Litsynth(load_settings(overrides={"home": str(home)}), llm=False) as ls:
        ls.open_store().add_documents(_documents())
        yield ls


@pytest.mark.slow
@pytest.mark.parametrize("rerank", [True, False])
def test_k_beyond_the_rerank_candidates_returns_k(session: Litsynth, rerank: bool) -> None:
    assert session.settings.rerank.candidates < 60
    result = session.search("sleep and working memory", 60, rerank=rerank)
    assert len(result.hits) == 60
    assert len({hit.passage.id for hit in result.hits}) == 60
    assert result.warnings == []


@pytest.mark.slow
def test_k_beyond_what_the_store_holds_warns_how_many_and_why(session: Litsynth) -> None:
    result = session.search("sleep and working memory", 500)
    # every short paper, and three of the long paper's six passages
    assert len(result.hits) == SHORT_PAPERS + 3
    assert result.warnings == [
        f"returned {SHORT_PAPERS + 3} of 500 requested results: the sources gave "
        f"{SHORT_PAPERS + LONG_SECTIONS} candidate passages (local: "
        f"{SHORT_PAPERS + LONG_SECTIONS}); retrieval.per_paper keeps at most 3 passages per paper"
    ]


class _RecordingSource:
    """A live source stand-in (the real ones need an API) that records the depth it is asked
    for and answers with that many hits."""

    name = "s2"

    def __init__(self) -> None:
        self.asked: list[int] = []

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        self.asked.append(k)
        return [
            Hit(Passage(f"s2:{i}#0", f"s2:{i}", 0, f"{query} {i}"), Paper(id=f"s2:{i}", title="t"))
            for i in range(k)
        ]


def test_live_sources_are_asked_for_at_least_k() -> None:
    source = _RecordingSource()
    retriever = Retriever(None, [source], live_k=20)
    assert len(retriever.retrieve("q", 60).hits) == 60
    retriever.retrieve("q", 5)
    assert source.asked == [60, 20]
