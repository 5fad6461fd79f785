"""Schema, query sanitising, fingerprints and the dense file format (no model needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from litsynth.config import Settings, fingerprint, load_settings
from litsynth.errors import FingerprintMismatch, StoreError
from litsynth.index.datastore import DB_NAME, Datastore
from litsynth.index.dense import DenseFileError, DenseIndex
from litsynth.index.lexical import MAX_QUERY_TOKENS, fts_query
from litsynth.index.merge import merge_papers
from litsynth.records import Author, Paper

NASTY_QUERIES = [
    "",
    "   ",
    '"',
    '""',
    'say "hello',
    "*",
    "foo*",
    "AND",
    "OR NOT AND",
    "a AND b OR NOT c",
    "NEAR(a b, 3)",
    "title: vitamin",
    "-minus +plus ^caret",
    "(unbalanced",
    "x' OR '1'='1",
    "col:val {braces} [brackets]",
    "\x00 null byte",
    "émigré naïve Zürich",
    "β-amyloid α-synuclein",
    "新型冠状病毒 疫苗",
    "emoji 🧬🧪",
    "_ __ ___",
    "the of and",
    "word " * 500,
]


def test_new_store_has_the_schema_wal_and_meta(settings: Settings) -> None:
    with Datastore.open(settings) as store:
        stats = store.stats()
    conn = sqlite3.connect(settings.home_path() / DB_NAME)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"papers", "paper_ids", "passages", "passages_fts", "meta", "sources"} <= tables
    assert "embedding_cache" in tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    fts_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name='passages_fts'").fetchone()
    assert "porter unicode61" in fts_sql[0]
    assert stats["fingerprint"] == fingerprint(settings)
    assert (stats["papers"], stats["passages"], stats["generation"]) == (0, 0, 0)


def test_open_without_create_needs_an_existing_store(settings: Settings) -> None:
    with pytest.raises(StoreError, match="no datastore"):
        Datastore.open(settings, create=False)
    assert not (settings.home_path() / DB_NAME).exists()


def test_fingerprint_mismatch_names_both_fingerprints_and_the_change(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    first = load_settings(overrides={"home": home})
    Datastore.open(first).close()
    other = load_settings(overrides={"home": home, "chunk.max_tokens": 128})
    with pytest.raises(FingerprintMismatch) as caught:
        Datastore.open(other)
    message = str(caught.value)
    assert fingerprint(first) in message and fingerprint(other) in message
    assert "chunk.max_tokens: 256 (stored) -> 128 (now)" in message
    assert caught.value.hint and "--home" in caught.value.hint
    Datastore.open(first).close()  # the original settings still open it


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_bm25_never_raises_on_user_text(settings: Settings, query: str) -> None:
    with Datastore.open(settings) as store:
        assert store.search_bm25(query, 5) == []


def test_fts_query_quotes_tokens_and_drops_stopwords() -> None:
    assert fts_query('What is "the" effect of vitamin-D AND NEAR(x)?') == (
        '"effect" OR "vitamin" OR "d" OR "near" OR "x"'
    )
    assert fts_query("to be or not to be") == '"to" OR "be" OR "or" OR "not"'
    assert fts_query("!!! ***") is None
    assert fts_query(" ".join(f"w{i}" for i in range(200))).count(" OR ") == MAX_QUERY_TOKENS - 1


def test_dense_file_round_trip_and_damage_detection(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex.create("Flat", 8)
    index.add(np.arange(100, 150), vectors)
    path = tmp_path / "dense.faiss"
    index.save(path, generation=7)
    loaded, generation = DenseIndex.load(path, "Flat")
    assert generation == 7 and loaded.ntotal == 50
    _, ids = loaded.search(vectors[3:4], 1)
    assert ids[0][0] == 103
    loaded.remove([103])
    _, ids = loaded.search(vectors[3:4], 1)
    assert ids[0][0] != 103
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DenseFileError, match="damaged"):
        DenseIndex.load(path, "Flat")
    path.write_bytes(b"short")
    with pytest.raises(DenseFileError, match="truncated"):
        DenseIndex.load(path, "Flat")


def test_untrainable_factory_says_what_to_do() -> None:
    index = DenseIndex.create("IVF64,Flat", 8)
    assert not index.is_trained
    with pytest.raises(StoreError, match="Flat"):
        index.train(np.ones((3, 8), dtype=np.float32))
    with pytest.raises(StoreError, match="invalid FAISS factory"):
        DenseIndex.create("NoSuchIndex", 8)


def test_merge_keeps_the_richest_metadata() -> None:
    stored = Paper(
        id="doi:10.1/x",
        title="A title",
        abstract="short",
        year=None,
        citation_count=5,
        external_ids={"doi": "10.1/x"},
        source_ids={"/a": "1"},
    )
    incoming = Paper(
        id="pmid:9",
        title="Another title",
        abstract="a much longer abstract",
        authors=[Author("Ada")],
        year=2001,
        venue="Nature",
        citation_count=3,
        external_ids={"pmid": "9", "doi": "10.1/other"},
        source_ids={"/b": "b9"},
    )
    merged = merge_papers(stored, incoming)
    assert merged.id == "doi:10.1/x" and merged.title == "A title"
    assert merged.abstract == "a much longer abstract"
    assert (merged.year, merged.venue, merged.citation_count) == (2001, "Nature", 5)
    assert merged.external_ids == {"doi": "10.1/x", "pmid": "9"}
    assert merged.source_ids == {"/a": "1", "/b": "b9"}
    assert [a.name for a in merged.authors] == ["Ada"]
