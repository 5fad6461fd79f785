"""The local datastore: papers and passages in SQLite (with BM25 through FTS5) plus a FAISS
index over their embeddings, kept in agreement across crashes.

Writes go in batches: a batch's papers, passages and vectors are committed in one SQLite
transaction, then appended to FAISS. The FAISS file records the SQLite generation it reflects;
on open a missing, damaged or stale file is rebuilt from the vectors stored in SQLite, so a
process killed at any point leaves whole papers only and an index that agrees with them.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from litsynth.config import Settings, fingerprint, fingerprint_fields
from litsynth.corpus import chunk_document, embedding_text
from litsynth.corpus.ids import title_key
from litsynth.errors import FingerprintMismatch, StoreError
from litsynth.index import store, vector_cache
from litsynth.index.dense import DenseFileError, DenseIndex, vectors_from_blobs
from litsynth.index.encoder import Encoder, configured_dimension, get_encoder
from litsynth.index.lexical import fts_query
from litsynth.index.merge import (
    content_digest,
    dedup_ids,
    distinct_id,
    merge_papers,
    prefer_incoming,
    record_digest,
)
from litsynth.records import Document, Hit, Paper, Passage, Section

DB_NAME = "litsynth.sqlite3"
DENSE_NAME = "dense.faiss"
#: Names in a home folder that belong to the datastore (SQLite adds -wal/-shm/-journal files;
#: litsynth.toml holds the home's settings).
_STORE_NAMES = (DB_NAME, DENSE_NAME, "litsynth.toml")


def is_store_file(path: Path, home: Path) -> bool:
    """Whether ``path`` is (or would overwrite) one of the datastore's own files in ``home``."""
    path, home = path.expanduser().resolve(), home.expanduser().resolve()
    return path.parent == home and path.name.startswith(_STORE_NAMES)


#: Rewriting the whole FAISS file after every batch costs O(size); it is saved at most this
#: often (and on close). A stale file is harmless: it is rebuilt from SQLite on open.
DENSE_SAVE_INTERVAL = 30.0

#: What stands in for an index that needs training (IVF, PQ) while too few vectors exist.
_EXACT_FACTORY = "Flat"

#: Vectors used to train a FAISS index that needs training (IVF, PQ).
_TRAIN_SAMPLE = 200_000


@dataclass
class AddStats:
    """What one ``add_documents``/``add_papers`` call did, and where its time went."""

    records: int = 0
    papers_added: int = 0
    papers_merged: int = 0
    papers_unchanged: int = 0
    #: Records that are a new version of a record (same file, same raw id) read before from
    #: an older version of the file: what the old version stored was replaced.
    papers_replaced: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    vectors_cached: int = 0
    vectors_computed: int = 0
    chunk_seconds: float = 0.0
    embed_seconds: float = 0.0
    index_seconds: float = 0.0

    def add(self, other: AddStats) -> None:
        """Accumulate ``other`` into this one."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class _Incoming:
    """One record on its way in: either text sections to chunk, or ready passages."""

    paper: Paper
    source: str
    sections: list[Section] | None = None
    passages: list[Passage] | None = None
    # Records of one source file are never merged with each other (CONTRACT.md).
    keep_apart_within_source: bool = True
    #: The version (sha256) of the file the record was read from; None when not known.
    version: str | None = None

    @property
    def raw_id(self) -> str:
        return self.paper.source_ids.get(self.source, "")

    def pieces(self) -> list[tuple[str, str]]:
        if self.passages is not None:
            return [(p.section, p.text) for p in self.passages]
        return [(s.title, s.text) for s in self.sections or []]

    def text_chars(self) -> int:
        return sum(len(text) for _, text in self.pieces())


def _document_source(paper: Paper) -> str:
    """The source file a reader's record came from (the key of its ``source_ids``)."""
    return next(iter(paper.source_ids), "") or paper.source


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Datastore:
    """Papers, passages, BM25 and dense search in one home folder.

    Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    def __init__(self, settings: Settings, conn: sqlite3.Connection, home: Path) -> None:
        self.settings = settings
        self.home = home
        self.model_name = settings.embedding.model
        self._conn = conn
        self._lock = threading.RLock()
        self._dense: DenseIndex | None = None
        self._dense_problem: str | None = None
        #: Why an index that needs training is stood in for by an exact one (None when not).
        self._dense_waiting: str | None = None
        self._dense_generation = -1
        self._saved_generation = -1
        self._last_save = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, create: bool = True) -> Datastore:
        """Open the datastore in ``settings.home_path()`` (created when ``create``).

        Raises :class:`FingerprintMismatch` when the store was built with other embedding,
        chunk or index settings, and :class:`StoreError` when there is none and not
        ``create``.
        """
        home = settings.home_path()
        db_path = home / DB_NAME
        if not db_path.exists() and not create:
            raise StoreError(f"no datastore at {home}", hint="run `litsynth ingest PATH` first")
        if home.exists() and not home.is_dir():
            raise StoreError(f"cannot open the datastore at {home}: it is a file, not a folder")
        try:
            home.mkdir(parents=True, exist_ok=True)
            conn = store.connect(db_path)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the datastore at {home}: {exc}") from exc
        datastore = cls(settings, conn, home)
        try:
            _initialise(conn, settings, home)
            datastore._load_dense()
        except BaseException:
            conn.close()
            raise
        return datastore

    def __enter__(self) -> Datastore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Save the dense index if it changed since the last save, and close SQLite."""
        with self._lock:
            if self._conn is None:
                return
            self._save_dense(force=True)
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

    @property
    def db_path(self) -> Path:
        return self.home / DB_NAME

    @property
    def dense_path(self) -> Path:
        return self.home / DENSE_NAME

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.settings)

    # -- the encoder -------------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        """The bi-encoder, shared in this process; the model loads on first use."""
        emb = self.settings.embedding
        return get_encoder(emb.model, emb.device, emb.batch_size)

    def encode_queries(self, queries: list[str]) -> np.ndarray:
        """Unit query vectors, (n, d) float32."""
        return self.encoder.encode(queries)

    # -- writing -----------------------------------------------------------------------------
    def add_documents(
        self,
        docs: Iterable[Document],
        *,
        batch_papers: int = 64,
        source_version: str | None = None,
    ) -> AddStats:
        """Deduplicate, chunk, embed and store ``docs``; each batch of ``batch_papers`` is
        committed whole. Records already stored unchanged are skipped before embedding.

        ``source_version`` is the version (sha256) of the file the documents were read from.
        A record whose raw id was stored from another version of the same file is a new
        version of that record: it replaces the paper that version stored (with its passages,
        their vectors and BM25 entries), or, when other files contributed to that paper too,
        its fields win over the stored ones and its passages replace the stored ones."""
        items = (
            _Incoming(
                d.paper,
                _document_source(d.paper),
                sections=list(d.sections),
                version=source_version,
            )
            for d in docs
        )
        return self._add(items, batch_papers)

    def add_papers(
        self, papers_with_passages: Iterable[tuple[Paper, Sequence[Passage]]], *, batch: int = 64
    ) -> AddStats:
        """Store papers that arrive with their passages (e.g. from a live source): same dedup,
        embedding and commit path as documents, without chunking. A live source is not a file,
        so its records merge with each other by id."""
        items = (
            _Incoming(
                paper,
                paper.source,
                passages=list(passages),
                keep_apart_within_source=False,
            )
            for paper, passages in papers_with_passages
        )
        return self._add(items, batch)

    def add_hits(self, hits: Iterable[Hit]) -> int:
        """Store the papers of live-source hits with their passages (in hit order); returns
        how many papers were new or merged into a stored one."""
        grouped: dict[str, tuple[Paper, list[Passage]]] = {}
        for hit in hits:
            grouped.setdefault(hit.paper.id, (hit.paper, []))[1].append(hit.passage)
        stats = self.add_papers(grouped.values())
        return stats.papers_added + stats.papers_merged

    def _add(self, items: Iterable[_Incoming], batch_size: int) -> AddStats:
        total = AddStats()
        for batch in _batches(items, max(1, batch_size)):
            try:
                total.add(self._add_batch(batch))
            except StoreError:
                # E.g. FAISS cannot build index.factory for the first vectors: a store left
                # without passages must not stay tied to the settings that failed.
                self._forget_fingerprint_if_empty()
                raise
        return total

    def _add_batch(self, batch: list[_Incoming]) -> AddStats:
        stats = AddStats(records=len(batch))
        started = time.perf_counter()
        with self._lock, store.transaction(self._conn) as conn:
            plans: dict[str, _Incoming] = {}
            removed: list[int] = []
            for item in batch:
                digest = record_digest(item.paper, item.pieces())
                known = store.record_paper(conn, item.source, digest)
                if known is not None:
                    stats.papers_unchanged += 1
                    self._key_record(conn, item, known)
                    continue
                replaced, kept = self._retire_old_version(conn, item, plans, removed)
                paper_id, merged, new_text = self._store_paper(conn, item, kept)
                store.remember_record(conn, item.source, digest, paper_id)
                self._key_record(conn, item, paper_id)
                if replaced:
                    stats.papers_replaced += 1
                elif merged:
                    stats.papers_merged += 1
                else:
                    stats.papers_added += 1
                if new_text:
                    plans[paper_id] = item
            passages = self._passages_for(conn, plans, stats)
            vectors = self._vectors_for(conn, passages, stats)
            for paper_id in plans:
                removed += store.delete_passages_of_paper(conn, paper_id)
            blobs = [v.tobytes() for v in vectors]
            rowids = store.insert_passages(conn, [p for p, _ in passages], blobs)
            stats.passages_added = len(rowids)
            stats.passages_removed = len(removed)
            if rowids or removed:
                if len(vectors) and store.get_meta(conn, "dimension") is None:
                    # The first vectors: the index must be buildable before they are committed
                    # (StoreError, and the transaction rolls back, when it is not).
                    DenseIndex.create(self.settings.index.factory, vectors.shape[1])
                    store.set_meta(conn, "dimension", str(vectors.shape[1]))
                gen = store.bump_generation(conn)
            else:
                gen = None
        if gen is not None:
            self._update_dense(removed, np.array(rowids, dtype=np.int64), vectors, gen)
        stats.index_seconds = time.perf_counter() - started - stats.chunk_seconds
        stats.index_seconds -= stats.embed_seconds
        return stats

    @staticmethod
    def _key_record(conn: sqlite3.Connection, item: _Incoming, paper_id: str) -> None:
        """Remember that this record (file, raw id) of this version of its file is in
        ``paper_id``."""
        if item.raw_id:
            store.save_record_key(conn, item.source, item.raw_id, paper_id, item.version)

    @staticmethod
    def _retire_old_version(
        conn: sqlite3.Connection, item: _Incoming, plans: dict[str, _Incoming], removed: list[int]
    ) -> tuple[bool, str | None]:
        """Undo what an older version of this record (same file, same raw id, read from
        another version of the file) stored, before the new version is stored.

        Returns ``(replaced, kept)``: ``replaced`` when there was an older version. Its paper
        is deleted (passages, BM25 entries, vectors: the rowids go to ``removed``) when it
        came from this file alone; when other files contributed to it, it is kept without
        this file's claim and ``kept`` is its id (the new version then wins over its fields)."""
        if item.version is None or not item.raw_id:
            return False, None
        key = store.record_key(conn, item.source, item.raw_id)
        if key is None or key["version"] == item.version:
            return False, None
        old_id = key["paper_id"]
        row = store.get_paper_row(conn, old_id)
        if row is None:
            return False, None
        sources = json.loads(row["source_ids"])
        store.forget_records(conn, item.source, old_id)
        if set(sources) <= {item.source}:
            removed += store.delete_paper(conn, old_id)
            plans.pop(old_id, None)
            return True, None
        sources.pop(item.source, None)
        store.set_source_ids(conn, old_id, sources)
        return True, old_id

    def _forget_fingerprint_if_empty(self) -> None:
        """Drop the recorded fingerprint of a store that holds no passage yet."""
        with self._lock, store.transaction(self._conn) as conn:
            if conn.execute("SELECT 1 FROM passages LIMIT 1").fetchone() is None:
                conn.execute("DELETE FROM meta WHERE key IN ('fingerprint', 'fingerprint_fields')")

    def _store_paper(
        self, conn: sqlite3.Connection, item: _Incoming, replacing: str | None
    ) -> tuple[str, bool, bool]:
        """Insert or merge the record's paper; returns ``(paper_id, merged, new_text)`` where
        ``new_text`` says its passages must be (re)built from this record. ``replacing`` is
        the id of a paper an older version of this record contributed to (see
        :meth:`_retire_old_version`): if the record merges into it, its values win."""
        paper = item.paper
        existing = _find_existing(conn, paper)
        paper_id = paper.id
        if existing is not None and item.keep_apart_within_source:
            stored_sources = json.loads(store.get_paper_row(conn, existing)["source_ids"])
            if item.source in stored_sources and (
                not item.raw_id or stored_sources[item.source] != item.raw_id
            ):
                # Another record of the same file: it keeps a paper of its own, under its own
                # id unless another paper holds that, else under an id made from its own id
                # and raw id. Never from the file's path: the same record read from another
                # path (another clone of the same files) must find this paper again.
                if store.get_paper_row(conn, paper_id) is not None:
                    paper_id = distinct_id(paper.id, item.raw_id or content_digest(item.paper))
                existing = paper_id if store.get_paper_row(conn, paper_id) else None
        if existing is None:
            new = dataclasses.replace(paper, id=paper_id)
            row = store.paper_to_row(
                new, title_key=title_key(new), origin=item.source, text_chars=item.text_chars()
            )
            store.upsert_paper(conn, row)
            store.register_external_ids(conn, paper_id, dedup_ids(new))
            return paper_id, False, True
        stored_row = store.get_paper_row(conn, existing)
        stored = store.row_to_paper(stored_row)
        newer = replacing is not None and existing == replacing
        merged = prefer_incoming(stored, paper) if newer else merge_papers(stored, paper)
        richer = item.text_chars() > stored_row["text_chars"]
        # A new version of a record replaces the passages its old version may have made.
        rebuild = richer or (newer and item.text_chars() > 0)
        title_changed = merged.title != stored.title
        if title_changed:
            store.delete_fts_of_paper(conn, existing)
        row = store.paper_to_row(
            merged,
            title_key=title_key(merged),
            origin=stored_row["origin"],
            text_chars=item.text_chars() if rebuild else stored_row["text_chars"],
        )
        store.upsert_paper(conn, row)
        if title_changed:
            store.insert_fts_of_paper(conn, existing)
        store.register_external_ids(conn, existing, dedup_ids(merged))
        return existing, True, rebuild

    def _passages_for(
        self, conn: sqlite3.Connection, plans: dict[str, _Incoming], stats: AddStats
    ) -> list[tuple[Passage, str]]:
        """The passages to store for each planned paper, with the title used to embed them."""
        started = time.perf_counter()
        out: list[tuple[Passage, str]] = []
        for paper_id, item in plans.items():
            title = store.get_paper_row(conn, paper_id)["title"]
            if item.passages is not None:
                passages = [
                    dataclasses.replace(p, id=f"{paper_id}#{i}", paper_id=paper_id, ordinal=i)
                    for i, p in enumerate(item.passages)
                ]
            else:
                doc = Document(dataclasses.replace(item.paper, id=paper_id), item.sections or [])
                passages = chunk_document(doc, self.settings.chunk, self.model_name)
            out += [(p, title) for p in passages]
        stats.chunk_seconds += time.perf_counter() - started
        return out

    def _vectors_for(
        self, conn: sqlite3.Connection, passages: list[tuple[Passage, str]], stats: AddStats
    ) -> np.ndarray:
        """Unit vectors for the passages: from the embedding cache, else from the encoder
        (new vectors are added to the cache in the same transaction)."""
        started = time.perf_counter()
        chunk = self.settings.chunk
        texts = [
            embedding_text(
                title, p.text, encoder_name=self.model_name, title_max_tokens=chunk.title_max_tokens
            )
            for p, title in passages
        ]
        keys = [vector_cache.cache_key(self.model_name, t) for t in texts]
        cached = store.cached_vectors(conn, keys)
        missing = list(dict.fromkeys(k for k in keys if k not in cached))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            computed = self.encoder.encode([text_of[k] for k in missing])
            fresh = {k: v.tobytes() for k, v in zip(missing, computed, strict=True)}
            store.cache_vectors(conn, fresh.items())
            cached.update(fresh)
        stats.vectors_computed += len(missing)
        stats.vectors_cached += len(keys) - len(missing)
        stats.embed_seconds += time.perf_counter() - started
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        first = np.frombuffer(cached[keys[0]], dtype=np.float32)
        return vectors_from_blobs((cached[k] for k in keys), len(first))

    # -- the dense index ---------------------------------------------------------------------
    def _load_dense(self) -> None:
        """Load the FAISS file, or rebuild it from SQLite when it is missing, damaged or
        does not reflect the current SQLite generation."""
        with self._lock:
            current = store.generation(self._conn)
            try:
                index, saved = DenseIndex.load(self.dense_path, self.settings.index.factory)
            except DenseFileError:
                index, saved = None, -1
            if index is not None and saved == current and index.is_trained:
                self._dense, self._dense_generation = index, saved
                self._saved_generation = saved
                return
            self._rebuild_dense()
            self._save_dense(force=True)

    def _rebuild_dense(self) -> None:
        """Build the FAISS index from every vector in SQLite (one consistent snapshot)."""
        factory = self.settings.index.factory
        conn = self._conn
        conn.execute("BEGIN")
        try:
            current = store.generation(conn)
            dim_text = store.get_meta(conn, "dimension")
            if dim_text is None:
                self._dense, self._dense_generation = None, current
                return
            dimension = int(dim_text)
            index = DenseIndex.create(factory, dimension)
            self._dense_problem = None
            self._dense_waiting = None
            if not index.is_trained:
                blobs = (b for rows in store.iter_vectors(conn) for _, b in rows)
                sample = list(islice(blobs, _TRAIN_SAMPLE))
                needed = index.min_training_vectors()
                try:
                    index.train(vectors_from_blobs(sample, dimension))
                except StoreError as exc:
                    if len(sample) >= needed:
                        self._dense_problem = str(exc)
                    else:
                        # Too few vectors to train on yet: search them exactly (a few
                        # thousand at most) until there are enough, rather than fail.
                        self._dense_waiting = (
                            f"{factory!r} is trained once {needed} vectors are stored "
                            f"({len(sample)} now); exact search until then"
                        )
                        index = DenseIndex.create(_EXACT_FACTORY, dimension)
            if index.is_trained:
                for rows in store.iter_vectors(conn):
                    ids = np.array([r for r, _ in rows], dtype=np.int64)
                    index.add(ids, vectors_from_blobs((b for _, b in rows), dimension))
            self._dense, self._dense_generation = index, current
        finally:
            conn.execute("COMMIT")

    def _update_dense(
        self, removed: list[int], rowids: np.ndarray, vectors: np.ndarray, generation: int
    ) -> None:
        with self._lock:
            index = self._dense
            if (
                index is None
                or not index.is_trained
                or self._dense_waiting is not None  # retrain as soon as there are enough
                or self._dense_generation != generation - 1
            ):
                self._rebuild_dense()
            else:
                try:
                    index.remove(removed)
                except RuntimeError:
                    # Some index types (HNSW) cannot remove ids: rebuild instead.
                    self._rebuild_dense()
                else:
                    index.add(rowids, vectors)
                    self._dense_generation = generation
            self._save_dense(force=False)

    def _save_dense(self, *, force: bool) -> None:
        # The exact stand-in for an untrained index is never saved: the file is read back as
        # the configured factory, and rebuilding the stand-in is cheap.
        if self._dense is None or self._dense_waiting is not None:
            return
        if self._dense_generation == self._saved_generation:
            return
        if not force and time.monotonic() - self._last_save < DENSE_SAVE_INTERVAL:
            return
        self._dense.save(self.dense_path, self._dense_generation)
        self._saved_generation = self._dense_generation
        self._last_save = time.monotonic()

    def save(self) -> None:
        """Write the dense index file now if it changed (``close`` does this too)."""
        with self._lock:
            self._save_dense(force=True)

    # -- searching ---------------------------------------------------------------------------
    def search_bm25(self, query: str, k: int) -> list[tuple[str, float]]:
        """BM25 over title + passage text: ``(passage_id, score)``, higher is better. Any
        user text is safe (it is never parsed as FTS5 syntax)."""
        expression = fts_query(query)
        if expression is None or k <= 0:
            return []
        sql = (
            "SELECT p.passage_id, -f.score FROM ("
            "  SELECT rowid, bm25(passages_fts) AS score FROM passages_fts"
            "  WHERE passages_fts MATCH ? ORDER BY score LIMIT ?"
            ") f JOIN passages p ON p.rowid = f.rowid ORDER BY f.score, p.rowid"
        )
        with self._lock:
            rows = self._conn.execute(sql, (expression, k)).fetchall()
        return [(row[0], float(row[1])) for row in rows]

    def search_dense(self, query: str, k: int) -> list[tuple[str, float]]:
        """Nearest passages to ``query`` by cosine similarity: ``(passage_id, score)``."""
        return self.search_dense_vectors(self.encode_queries([query]), k)[0]

    def search_dense_vectors(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Nearest passages for each row of ``vectors`` (unit query vectors)."""
        with self._lock:
            index = self._dense
            if self._dense_problem is not None:
                raise StoreError(self._dense_problem)
            if index is None or index.ntotal == 0 or k <= 0:
                return [[] for _ in range(len(vectors))]
            scores, ids = index.search(vectors, k)
            names = store.passage_ids_for_rowids(self._conn, ids[ids >= 0].tolist())
        return [
            [(names[i], float(s)) for s, i in zip(row_s, row_i, strict=True) if i in names]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]

    # -- reading -----------------------------------------------------------------------------
    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Stored passages by id (unknown ids are left out)."""
        with self._lock:
            return store.passages_by_id(self._conn, ids)

    def papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Stored papers by id (unknown ids are left out)."""
        with self._lock:
            return store.papers_by_id(self._conn, ids)

    def paper_passages(self, paper_id: str) -> list[Passage]:
        """A paper's passages in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM passages WHERE paper_id = ? ORDER BY ordinal", (paper_id,)
            ).fetchall()
        return [store.row_to_passage(r) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Counts, sources, dense index state, model, fingerprint and disk sizes."""
        with self._lock:
            conn = self._conn

            def count(sql: str) -> int:
                return int(conn.execute(sql).fetchone()[0])

            dense = self._dense
            sqlite_bytes = sum(
                p.stat().st_size for p in (self.db_path, self.home / f"{DB_NAME}-wal") if p.exists()
            )
            faiss_bytes = self.dense_path.stat().st_size if self.dense_path.exists() else 0
            return {
                "home": str(self.home),
                "papers": count("SELECT COUNT(*) FROM papers"),
                "passages": count("SELECT COUNT(*) FROM passages"),
                "passages_with_vectors": count(
                    "SELECT COUNT(*) FROM passages WHERE embedding IS NOT NULL"
                ),
                "sources": store.all_sources(conn),
                "dense": {
                    "factory": self.settings.index.factory,
                    "ntotal": dense.ntotal if dense else 0,
                    "dimension": dense.dimension if dense else None,
                    "trained": (dense.is_trained and self._dense_waiting is None)
                    if dense
                    else None,
                    "problem": self._dense_problem,
                    "waiting": self._dense_waiting,
                },
                "embedding_model": self.model_name,
                "embedding_cache": count("SELECT COUNT(*) FROM embedding_cache"),
                "fingerprint": store.get_meta(conn, "fingerprint"),
                "schema_version": int(store.get_meta(conn, "schema_version") or 0),
                "generation": store.generation(conn),
                "disk": {
                    "sqlite_bytes": sqlite_bytes,
                    "faiss_bytes": faiss_bytes,
                    "total_bytes": sqlite_bytes + faiss_bytes,
                },
            }

    # -- sources (for ingest) ----------------------------------------------------------------
    def source_record(self, path: str) -> dict[str, Any] | None:
        """The ``sources`` row of an ingested file, or ``None``."""
        with self._lock:
            row = store.source_row(self._conn, path)
        return None if row is None else dict(row)

    def save_source(self, values: dict[str, Any]) -> None:
        """Insert or update the ``sources`` row of one ingested file."""
        with self._lock, store.transaction(self._conn) as conn:
            store.save_source(conn, {**values, "updated_at": time.time()})

    # -- the vector cache --------------------------------------------------------------------
    def export_vector_cache(self, path: Path, *, dtype: str = "float16") -> int:
        """Write every cached embedding to a compressed ``.npz`` plus a ``.sha256`` file;
        returns the number of vectors."""
        with self._lock:
            return vector_cache.export_cache(self._conn, Path(path), self.model_name, dtype)

    def import_vector_cache(self, path: Path) -> int:
        """Load a file written by :meth:`export_vector_cache` into the embedding cache, after
        checking its checksum and model; returns the number of new vectors."""
        with self._lock:
            return vector_cache.import_cache(self._conn, Path(path), self.model_name)


def _find_existing(conn: sqlite3.Connection, paper: Paper) -> str | None:
    """The stored paper this one duplicates: by external id, by id, then by title key."""
    for kind, value in dedup_ids(paper).items():
        found = store.paper_for_external_id(conn, kind, value)
        if found is not None:
            return found
    if store.get_paper_row(conn, paper.id) is not None:
        return paper.id
    key = title_key(paper)
    if key is not None and paper.year is not None:
        return store.paper_for_title_key(conn, key, paper.year)
    return None


def _initialise(conn: sqlite3.Connection, settings: Settings, home: Path) -> None:
    """Create the schema and meta of a new store, or check an existing store's fingerprint."""
    with store.transaction(conn):
        store.create_schema(conn)
        stored = store.get_meta(conn, "fingerprint")
        if stored is None:
            # Nothing is recorded for settings the index cannot be built with: a failed
            # first run must not tie the store to them.
            _check_factory(settings, store.get_meta(conn, "dimension"))
            store.set_meta(conn, "fingerprint", fingerprint(settings))
            store.set_meta(conn, "fingerprint_fields", json.dumps(fingerprint_fields(settings)))
            store.set_meta(conn, "schema_version", str(store.SCHEMA_VERSION))
            store.set_meta(conn, "generation", "0")
            store.set_meta(conn, "embedding_model", settings.embedding.model)
            store.set_meta(conn, _IDENTITY_KEY, "1")
            return
        version = int(store.get_meta(conn, "schema_version") or 0)
        stored_fields = json.loads(store.get_meta(conn, "fingerprint_fields") or "{}")
    if version > store.SCHEMA_VERSION:
        raise StoreError(
            f"the datastore at {home} has schema version {version}; this litsynth reads "
            f"up to {store.SCHEMA_VERSION}",
            hint="upgrade litsynth",
        )
    current = fingerprint(settings)
    if stored != current:
        differences = _differences(stored_fields, fingerprint_fields(settings)) or (
            "the fields behind the stored fingerprint are not recorded"
        )
        raise FingerprintMismatch(
            f"the datastore at {home} was built with fingerprint {stored}, but the current "
            f"settings give {current}; differs: {differences}",
            hint="use the settings it was built with, or another --home, or delete "
            f"{home / DB_NAME} and {home / DENSE_NAME} and ingest again",
        )
    if store.get_meta(conn, _IDENTITY_KEY) is None:
        with store.transaction(conn):
            store.backfill_identity(conn, _dedup_ids)
            store.set_meta(conn, _IDENTITY_KEY, "1")


#: Meta key set once every paper's dedup ids and (source, raw id) keys are registered (stores
#: written before record keys existed are brought up to date on open).
_IDENTITY_KEY = "record_keys_complete"


def _dedup_ids(external_ids: dict[str, Any]) -> dict[str, str]:
    return dedup_ids(Paper(id="", title="", external_ids=external_ids))


def _check_factory(settings: Settings, dimension: str | None) -> None:
    """Raise StoreError when FAISS cannot build ``index.factory`` for the embedding dimension
    (the stored one, else the one the model's config declares; unchecked when neither is
    known: then the first batch checks it before committing)."""
    dim = int(dimension) if dimension else configured_dimension(settings.embedding.model)
    if dim:
        DenseIndex.create(settings.index.factory, dim)


def _differences(stored: dict[str, Any], current: dict[str, Any], prefix: str = "") -> str:
    """``key: stored -> current`` for each fingerprint field that changed."""
    parts: list[str] = []
    for key in sorted(set(stored) | set(current)):
        old, new = stored.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            inner = _differences(old, new, f"{prefix}{key}.")
            if inner:
                parts.append(inner)
        elif old != new:
            parts.append(f"{prefix}{key}: {old!r} (stored) -> {new!r} (now)")
    return "; ".join(parts)
