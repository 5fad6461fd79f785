"""Paper identity over re-ingests: an edited record read again from its changed file replaces
what its old version stored (paper, passages, BM25 entries, vectors), and the same files read
from another path (another clone) add nothing. Real SQLite, FAISS and bi-encoder."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from index_builders import write_jsonl

from litsynth.config import Settings
from litsynth.corpus.ingest import ingest
from litsynth.index.datastore import Datastore

pytestmark = pytest.mark.slow

CORAL = "Coral reefs bleach under marine heatwaves"
KELP = "Kelp forests collapse after sea otter decline"


def _records() -> list[dict]:
    return [
        {"id": "r1", "title": CORAL, "abstract": "Warm water expels the symbiotic algae."},
        {"id": "r2", "title": "Graphene transistors", "abstract": "They switch at terahertz."},
        {
            "id": "r3",
            "doi": "10.5555/sleep",
            "title": "Sleep and memory consolidation",
            "abstract": "Sleep deprivation impairs working memory in adults.",
        },
    ]


def _titles(store: Datastore, hits: list[tuple[str, float]]) -> list[str]:
    passages = store.passages([pid for pid, _ in hits])
    papers = store.papers([p.paper_id for p in passages.values()])
    return [papers[passages[pid].paper_id].title for pid, _ in hits]


def _assert_consistent(store: Datastore, papers: int) -> None:
    """Counts agree everywhere: papers, passages, FAISS vectors and BM25 rows."""
    stats = store.stats()
    fts_rows = store._conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0]
    assert stats["papers"] == papers
    assert stats["passages"] == stats["dense"]["ntotal"] == fts_rows


def test_an_edited_record_replaces_its_old_version(datastore: Datastore, tmp_path: Path) -> None:
    records = _records()
    path = write_jsonl(tmp_path / "papers.jsonl", records)
    ingest(datastore, [path], progress=False)
    untouched = [pid for pid, _ in datastore.search_bm25("graphene terahertz", 5)]
    records[0] = {**records[0], "title": KELP, "abstract": "Urchins graze the kelp bare."}
    records[2] = {**records[2], "title": "Napping improves recall in students"}
    write_jsonl(path, records)
    report = ingest(datastore, [path], progress=False)
    assert (report.papers_replaced, report.papers_unchanged, report.papers_added) == (2, 1, 0)
    _assert_consistent(datastore, papers=3)
    # BM25: the old title and text are gone, the new ones found
    assert datastore.search_bm25("coral symbiotic algae", 5) == []
    assert _titles(datastore, datastore.search_bm25("kelp urchins", 5)) == [KELP]
    # dense: the nearest passage to the old text is the new version, never the old one
    dense = _titles(datastore, datastore.search_dense(CORAL, 3))
    assert CORAL not in dense and KELP in dense
    # a record with a DOI keeps its id; its new title wins and its passages are rebuilt
    paper = datastore.papers(["doi:10.5555/sleep"])["doi:10.5555/sleep"]
    assert paper.title == "Napping improves recall in students"
    assert datastore.search_bm25("consolidation", 5) == []
    assert _titles(datastore, datastore.search_bm25("napping", 5)) == [paper.title]
    # the unchanged record is untouched
    assert [pid for pid, _ in datastore.search_bm25("graphene terahertz", 5)] == untouched
    # the unchanged records stay unchanged when the file grows
    write_jsonl(path, [*records, {"id": "r4", "title": "New paper", "abstract": "Fresh."}])
    again = ingest(datastore, [path], progress=False)
    assert (again.papers_replaced, again.papers_unchanged, again.papers_added) == (0, 3, 1)
    _assert_consistent(datastore, papers=4)


def test_an_edit_of_a_paper_other_files_share_keeps_their_part(
    datastore: Datastore, tmp_path: Path
) -> None:
    shared = {"doi": "10.5555/shared", "abstract": "Corals bleach when seas warm."}
    mine = write_jsonl(tmp_path / "mine.jsonl", [{"id": "m", "title": CORAL, **shared}])
    theirs = write_jsonl(
        tmp_path / "theirs.jsonl",
        [{"id": "t", "title": CORAL, "venue": "Reef Journal", "year": 2020, **shared}],
    )
    ingest(datastore, [mine, theirs], progress=False)
    write_jsonl(mine, [{"id": "m", "title": KELP, **shared}])
    report = ingest(datastore, [mine], progress=False)
    assert report.papers_replaced == 1
    _assert_consistent(datastore, papers=1)
    paper = datastore.papers(["doi:10.5555/shared"])["doi:10.5555/shared"]
    assert paper.title == KELP
    assert (paper.venue, paper.year) == ("Reef Journal", 2020)
    assert set(paper.source_ids) == {str(mine.resolve()), str(theirs.resolve())}


def test_the_same_files_from_another_path_add_nothing(datastore: Datastore, tmp_path: Path) -> None:
    # Two records of one file with the same long title and year, a third with its DOI: the
    # ones kept apart from their file-mates must be found again from another path.
    title = "Postsurgical volumetric airway changes in orthognathic surgery patients"
    records = [
        {"id": "111", "pmid": "111", "doi": "10.1/a", "title": title, "year": 2015},
        {"id": "222", "pmid": "222", "doi": "10.1/b", "title": title, "year": 2015},
        {"id": "333", "doi": "10.1/a", "title": "Same DOI, another record", "abstract": "x"},
        {"id": "444", "title": title, "year": 2015, "abstract": "No external id at all."},
    ]
    (tmp_path / "clone1").mkdir()
    first = write_jsonl(tmp_path / "clone1" / "data.jsonl", records)
    second = tmp_path / "clone2" / "data.jsonl"
    second.parent.mkdir()
    shutil.copy(first, second)
    ingest(datastore, [first], progress=False)
    assert datastore.stats()["papers"] == 4
    report = ingest(datastore, [second], progress=False)
    assert (report.papers_added, report.papers_merged) == (0, 4)
    _assert_consistent(datastore, papers=4)
    # and an old store, written before kept-apart papers registered their ids, heals on open
    third = tmp_path / "clone3" / "data.jsonl"
    third.parent.mkdir()
    shutil.copy(first, third)
    db = datastore.db_path
    datastore.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM record_keys")
        conn.execute("DELETE FROM meta WHERE key = 'record_keys_complete'")
        conn.execute("DELETE FROM paper_ids WHERE paper_id NOT IN ('doi:10.1/a')")
    conn.close()
    with Datastore.open(datastore.settings) as reopened:
        assert ingest(reopened, [third], progress=False).papers_added == 0
        assert reopened.stats()["papers"] == 4


def test_the_bundled_demo_files_from_another_path_add_nothing(
    settings: Settings, encoder, tmp_path: Path
) -> None:
    from litsynth.demo import DEMO_FILES, demo_data_dir, vectors_path

    clone = tmp_path / "clone" / "data"
    shutil.copytree(demo_data_dir(), clone)
    with Datastore.open(settings) as store:
        store.import_vector_cache(vectors_path())
        for root in (demo_data_dir(), clone):
            for name, fmt in DEMO_FILES:
                ingest(store, [root / name], fmt, progress=False)
            assert store.stats()["papers"] == 3045
        rows = store._conn.execute(
            "SELECT COUNT(*) FROM papers WHERE external_ids LIKE '%\"26432302\"%'"
        ).fetchone()
        assert rows[0] == 1
