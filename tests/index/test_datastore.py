"""Datastore round trips with the real bi-encoder: search, dedup, merging, idempotence,
passage replacement, the vector cache and FAISS recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from index_builders import make_doc

from litsynth.config import Settings
from litsynth.corpus.chunker import embedding_text
from litsynth.errors import StoreError
from litsynth.index.datastore import Datastore
from litsynth.records import Hit, Paper, Passage, Section

pytestmark = pytest.mark.slow

MITO = "Mitochondria produce most of the chemical energy needed by the cell as ATP."
FRACTURE = "Vitamin D supplements lowered the rate of hip fractures in elderly women."
GRAPHENE = "Graphene field-effect transistors switch at terahertz frequencies."


def _counts(store: Datastore) -> tuple[int, int, int]:
    stats = store.stats()
    return stats["papers"], stats["passages"], stats["dense"]["ntotal"]


def test_bm25_finds_a_term_and_dense_finds_a_paraphrase(datastore: Datastore) -> None:
    docs = [
        make_doc("Cell energetics review", MITO, raw="1", ids={"doi": "10.1/a"}),
        make_doc("Bone health trial", FRACTURE, raw="2", ids={"doi": "10.1/b"}),
        make_doc("Fast 2D electronics", GRAPHENE, raw="3", ids={"doi": "10.1/c"}),
    ]
    stats = datastore.add_documents(docs)
    assert (stats.papers_added, stats.passages_added, stats.vectors_computed) == (3, 3, 3)
    assert datastore.search_bm25("terahertz", 5)[0][0] == "doi:10.1/c#0"
    # no word in common with the stored text except stopwords
    dense = datastore.search_dense("which organelle is the powerhouse generating fuel", 3)
    assert dense[0][0] == "doi:10.1/a#0"
    assert dense[0][1] > dense[1][1]
    batch = datastore.search_dense_vectors(datastore.encode_queries(["broken hips", "chips"]), 1)
    assert [hits[0][0] for hits in batch] == ["doi:10.1/b#0", "doi:10.1/c#0"]
    passage = datastore.passages(["doi:10.1/b#0"])["doi:10.1/b#0"]
    assert passage.text == FRACTURE and passage.paper_id == "doi:10.1/b"
    assert datastore.papers(["doi:10.1/b", "nope"])["doi:10.1/b"].title == "Bone health trial"
    assert [p.id for p in datastore.paper_passages("doi:10.1/a")] == ["doi:10.1/a#0"]


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("doi", "10.1000/ABC", "https://doi.org/10.1000/abc"),
        ("arxiv", "2101.00001v2", "arXiv:2101.00001"),
        ("pmid", "123456", "123456"),
        ("s2", "a" * 40, "a" * 40),
        ("s2corpus", "987", "987"),
    ],
)
def test_same_external_id_from_two_files_merges(
    datastore: Datastore, kind: str, first: str, second: str
) -> None:
    a = make_doc("Short one", MITO, source="/a.jsonl", raw="x", ids={kind: first}, year=None)
    b = make_doc(
        "Short two",
        MITO,
        source="/b.jsonl",
        raw="y",
        ids={kind: second, "pmcid": "PMC1"},
        year=2019,
        citation_count=12,
    )
    stats = datastore.add_documents([a]).papers_added, datastore.add_documents([b]).papers_merged
    assert stats == (1, 1)
    assert _counts(datastore) == (1, 1, 1)
    paper = datastore.papers([a.paper.id])[a.paper.id]
    assert paper.source_ids == {"/a.jsonl": "x", "/b.jsonl": "y"}
    assert (paper.year, paper.citation_count, paper.external_ids["pmcid"]) == (2019, 12, "PMC1")


def test_title_dedup_needs_five_words_and_equal_known_years(datastore: Datastore) -> None:
    long_title = "Effects of vitamin D on bone density"
    base = make_doc(long_title, FRACTURE, source="/a.jsonl", raw="1", year=2010)
    same = make_doc(long_title.upper() + "!", MITO, source="/b.jsonl", raw="2", year=2010)
    other_year = make_doc(long_title, MITO, source="/c.jsonl", raw="3", year=2011)
    no_year = make_doc(long_title, MITO, source="/d.jsonl", raw="4", year=None)
    short = make_doc("Vitamin D and bones", FRACTURE, source="/e.jsonl", raw="5", year=2010)
    short_again = make_doc("Vitamin D and bones", MITO, source="/f.jsonl", raw="6", year=2010)
    stats = datastore.add_documents([base, same, other_year, no_year, short, short_again])
    assert (stats.papers_added, stats.papers_merged) == (5, 1)
    merged = datastore.papers([base.paper.id])[base.paper.id]
    assert merged.source_ids == {"/a.jsonl": "1", "/b.jsonl": "2"}


def test_records_of_one_file_are_never_merged(datastore: Datastore) -> None:
    ids = {"doi": "10.9/same"}
    first = make_doc("First record in file", MITO, raw="r1", ids=ids)
    second = make_doc("Second record in file", FRACTURE, raw="r2", ids=ids)
    title = "A long shared title of five words"
    third = make_doc(title, GRAPHENE, raw="r3")
    fourth = make_doc(title, MITO + " Extra.", raw="r4")
    stats = datastore.add_documents([first, second, third, fourth], batch_papers=2)
    assert (stats.papers_added, stats.papers_merged) == (4, 0)
    papers = datastore.papers([first.paper.id])
    assert papers["doi:10.9/same"].title == "First record in file"
    hits = dict(datastore.search_bm25("ATP chemical energy", 10))
    second_paper = {datastore.passages([pid])[pid].paper_id for pid in hits}
    assert any(pid.startswith("h:") for pid in second_paper)
    # the same file again: nothing new, nothing merged
    again = datastore.add_documents([first, second, third, fourth])
    assert (again.papers_added, again.papers_merged, again.papers_unchanged) == (0, 0, 4)
    assert _counts(datastore) == (4, 4, 4)


def test_reingest_is_idempotent_and_embeds_nothing(datastore: Datastore) -> None:
    docs = [make_doc(f"Paper {i}", f"{MITO} Variant {i}.", raw=str(i)) for i in range(7)]
    datastore.add_documents(docs, batch_papers=3)
    before = datastore.stats()
    again = datastore.add_documents(docs, batch_papers=3)
    after = datastore.stats()
    assert (again.papers_unchanged, again.papers_added, again.vectors_computed) == (7, 0, 0)
    for key in ("papers", "passages", "generation", "embedding_cache", "dense"):
        assert after[key] == before[key], key


def test_richer_text_replaces_the_passages(datastore: Datastore) -> None:
    ids = {"doi": "10.7/full"}
    abstract_only = make_doc("A paper", MITO, source="/meta.jsonl", raw="m", ids=ids)
    body = [Section(GRAPHENE + " " + FRACTURE, "Results"), Section("Zebrafish regrow fins.", "")]
    full = make_doc("A paper", MITO, source="/full.jsonl", raw="f", ids=ids, body=body)
    datastore.add_documents([abstract_only])
    old_rowids = _rowids(datastore)
    stats = datastore.add_documents([full])
    assert (stats.papers_merged, stats.passages_removed) == (1, 1)
    passages = datastore.paper_passages("doi:10.7/full")
    assert len(passages) == stats.passages_added >= 2
    assert not set(_rowids(datastore)) & set(old_rowids)
    assert _counts(datastore) == (1, len(passages), len(passages))
    assert datastore.search_bm25("zebrafish", 3)[0][0].startswith("doi:10.7/full#")
    # a poorer record afterwards changes no text
    assert datastore.add_documents([abstract_only]).passages_added == 0


def test_add_papers_stores_live_passages(datastore: Datastore) -> None:
    paper = Paper(id="s2:" + "b" * 40, title="Live paper", external_ids={"s2": "b" * 40})
    paper.source = "s2"
    snippet = Passage(id="tmp", paper_id="tmp", ordinal=5, text=GRAPHENE, section="snippet")
    stats = datastore.add_papers([(paper, [snippet])])
    assert (stats.papers_added, stats.passages_added) == (1, 1)
    stored = datastore.paper_passages(paper.id)
    assert [(p.id, p.ordinal, p.section) for p in stored] == [(paper.id + "#0", 0, "snippet")]
    assert datastore.search_dense("terahertz graphene switching", 1)[0][0] == paper.id + "#0"
    other = Paper(id="s2:" + "c" * 40, title="Another live paper", source="s2")
    hits = [
        Hit(Passage("x#1", other.id, 1, MITO), other),
        Hit(Passage("x#2", other.id, 2, FRACTURE), other),
        Hit(snippet, paper),
    ]
    assert datastore.add_hits(hits) == 1  # the first paper is stored unchanged
    assert [p.text for p in datastore.paper_passages(other.id)] == [MITO, FRACTURE]


def test_vector_cache_export_import_and_checksum(
    datastore: Datastore, settings: Settings, tmp_path: Path
) -> None:
    docs = [make_doc(f"Cached {i}", f"{FRACTURE} Site {i}.", raw=str(i)) for i in range(4)]
    datastore.add_documents(docs)
    target = tmp_path / "out" / "vectors.npz"
    assert datastore.export_vector_cache(target) == 4
    fresh = settings.model_copy(update={"home": tmp_path / "second"})
    with Datastore.open(fresh) as second:
        assert second.import_vector_cache(target) == 4
        stats = second.add_documents(docs)
        assert (stats.vectors_computed, stats.vectors_cached) == (0, 4)
        original = datastore.search_dense("hip fracture", 4)
        copied = second.search_dense("hip fracture", 4)
        assert [p for p, _ in copied] == [p for p, _ in original]
        assert np.allclose([s for _, s in copied], [s for _, s in original], atol=2e-3)
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
        with pytest.raises(StoreError, match="fails its checksum"):
            second.import_vector_cache(target)
        target.with_name("vectors.npz.sha256").unlink()
        with pytest.raises(StoreError, match="no checksum file"):
            second.import_vector_cache(target)


def _rowids(store: Datastore) -> list[int]:
    conn = sqlite3.connect(store.db_path)
    try:
        return [r[0] for r in conn.execute("SELECT rowid FROM passages")]
    finally:
        conn.close()


def test_missing_stale_or_damaged_faiss_file_is_rebuilt(settings: Settings, encoder) -> None:
    docs = [make_doc(f"Rebuild {i}", f"{GRAPHENE} Device {i}.", raw=str(i)) for i in range(6)]
    with Datastore.open(settings) as store:
        store.add_documents(docs[:3])
        store.save()
        stale = store.dense_path.read_bytes()
        store.add_documents(docs[3:])
        expected = store.search_dense("terahertz transistor", 6)
    dense_path = settings.home_path() / "dense.faiss"
    for damage in ("missing", "stale", "damaged"):
        if damage == "missing":
            dense_path.unlink()
        elif damage == "stale":
            dense_path.write_bytes(stale)
        else:
            dense_path.write_bytes(stale[: len(stale) // 2])
        with Datastore.open(settings) as store:
            assert _counts(store) == (6, 6, 6), damage
            assert store.search_dense("terahertz transistor", 6) == expected


def test_factory_that_needs_training_searches_exactly_until_enough_vectors(
    settings: Settings, encoder
) -> None:
    ivf = settings.model_copy(
        update={"index": settings.index.model_copy(update={"factory": "IVF4,Flat"})}
    )
    docs = [make_doc(f"Trial {i}", f"Outcome {i} of trial {i}.", raw=str(i)) for i in range(160)]
    with Datastore.open(ivf) as store:
        store.add_documents(docs[:3])
        query = embedding_text("Trial 1", "Outcome 1 of trial 1.")
        assert store.search_dense(query, 1)[0][0] == docs[1].paper.id + "#0"
        dense = store.stats()["dense"]
        assert dense["trained"] is False and dense["problem"] is None
        assert "once 156 vectors are stored (3 now)" in dense["waiting"]
    with Datastore.open(ivf) as store:  # reopened: the stand-in is rebuilt, not read back
        assert store.search_dense(query, 1)[0][0] == docs[1].paper.id + "#0"
        store.add_documents(docs[3:], batch_papers=200)
        assert store.stats()["dense"]["trained"] is True
        assert store.stats()["dense"]["waiting"] is None
        assert _counts(store) == (160, 160, 160)
        # the exact embedded text lies in the IVF list it probes first
        query = embedding_text("Trial 7", "Outcome 7 of trial 7.")
        best = store.search_dense(query, 1)[0]
        assert best[0] == docs[7].paper.id + "#0" and best[1] > 0.99


def test_index_without_removal_is_rebuilt_on_replacement(settings: Settings, encoder) -> None:
    hnsw = settings.model_copy(
        update={"index": settings.index.model_copy(update={"factory": "HNSW32"})}
    )
    ids = {"doi": "10.3/h"}
    with Datastore.open(hnsw) as store:
        store.add_documents([make_doc("Graph index", MITO, source="/a", raw="1", ids=ids)])
        body = [Section(GRAPHENE, "Body"), Section(FRACTURE, "More")]
        full = make_doc("Graph index", MITO, source="/b", raw="2", ids=ids, body=body)
        store.add_documents([full])
        passages = store.stats()["passages"]
        assert passages >= 2 and _counts(store) == (1, passages, passages)
        assert store.search_dense("hip fractures vitamin", 1)[0][0].startswith("doi:10.3/h#")


def test_a_home_that_is_a_file_is_a_store_error(settings: Settings) -> None:
    home = settings.home_path()
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("not a folder")
    with pytest.raises(StoreError, match="it is a file, not a folder"):
        Datastore.open(settings)
    assert home.read_text() == "not a folder"
