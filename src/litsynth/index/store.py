"""The SQLite side of the datastore: schema, connection, and row <-> record conversion.

One file holds papers, their external ids (for dedup look-ups), passages with their
embedding vectors, an FTS5 index for BM25, the ingested records (by digest, and by source and
raw id with the version of the file they were last read from), the ingested sources, the
embedding cache and a ``meta`` table (fingerprint, schema version, generation). Writes happen
in explicit transactions (``BEGIN IMMEDIATE``) so a batch of papers is stored whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litsynth.records import Author, Paper, Passage

SCHEMA_VERSION = 1

#: SQLite caps the number of ``?`` parameters in one statement; look-ups are chunked below it.
_IN_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS papers (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    abstract        TEXT NOT NULL DEFAULT '',
    authors         TEXT NOT NULL DEFAULT '[]',
    year            INTEGER,
    venue           TEXT,
    url             TEXT,
    citation_count  INTEGER,
    external_ids    TEXT NOT NULL DEFAULT '{}',
    source          TEXT NOT NULL DEFAULT '',
    source_ids      TEXT NOT NULL DEFAULT '{}',
    licence         TEXT,
    provenance      TEXT,
    fields_of_study TEXT NOT NULL DEFAULT '[]',
    title_key       TEXT,
    origin          TEXT NOT NULL DEFAULT '',
    text_chars      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS papers_title_key ON papers(title_key) WHERE title_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS paper_ids (
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS paper_ids_paper ON paper_ids(paper_id);
CREATE TABLE IF NOT EXISTS passages (
    rowid      INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id TEXT NOT NULL UNIQUE,
    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,
    section    TEXT NOT NULL DEFAULT '',
    page       INTEGER,
    text       TEXT NOT NULL,
    chunker    TEXT NOT NULL DEFAULT '',
    embedding  BLOB
);
CREATE INDEX IF NOT EXISTS passages_paper ON passages(paper_id, ordinal);
CREATE VIEW IF NOT EXISTS passage_fts_source AS
    SELECT p.rowid AS rowid, pa.title AS title, p.text AS text, p.paper_id AS paper_id
    FROM passages p JOIN papers pa ON pa.id = p.paper_id;
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    title, text,
    content='passage_fts_source', content_rowid='rowid',
    tokenize='porter unicode61'
);
CREATE TABLE IF NOT EXISTS records (
    source   TEXT NOT NULL,
    digest   TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    PRIMARY KEY (source, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_keys (
    source   TEXT NOT NULL,
    raw_id   TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    version  TEXT,
    PRIMARY KEY (source, raw_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_keys_paper ON record_keys(paper_id);
CREATE INDEX IF NOT EXISTS records_paper ON records(paper_id);
CREATE TABLE IF NOT EXISTS sources (
    path              TEXT PRIMARY KEY,
    sha256            TEXT NOT NULL,
    size              INTEGER NOT NULL,
    mtime             REAL NOT NULL,
    format            TEXT NOT NULL DEFAULT 'auto',
    records_seen      INTEGER NOT NULL DEFAULT 0,
    -- papers_added, papers_merged, passages_added: no longer written; all_sources() counts
    -- them from the papers and records tables.
    papers_added      INTEGER NOT NULL DEFAULT 0,
    papers_merged     INTEGER NOT NULL DEFAULT 0,
    records_unchanged INTEGER NOT NULL DEFAULT 0,
    records_skipped   INTEGER NOT NULL DEFAULT 0,
    passages_added    INTEGER NOT NULL DEFAULT 0,
    finished          INTEGER NOT NULL DEFAULT 0,
    updated_at        REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS embedding_cache (
    key    TEXT PRIMARY KEY,
    vector BLOB NOT NULL
) WITHOUT ROWID;
"""

_PAPER_COLUMNS = (
    "id",
    "title",
    "abstract",
    "authors",
    "year",
    "venue",
    "url",
    "citation_count",
    "external_ids",
    "source",
    "source_ids",
    "licence",
    "provenance",
    "fields_of_study",
    "title_key",
    "origin",
    "text_chars",
)

_PASSAGE_COLUMNS = "passage_id, paper_id, ordinal, section, page, text, chunker"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, foreign keys on."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL survives a killed process; only a power cut can lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table that is missing (idempotent; runs inside the caller's transaction,
    which ``executescript`` would commit)."""
    for statement in _SCHEMA.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def has_schema(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    return row is not None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def generation(conn: sqlite3.Connection) -> int:
    """The counter bumped by every write that changes passages (the dense file records it)."""
    return int(get_meta(conn, "generation") or 0)


def bump_generation(conn: sqlite3.Connection) -> int:
    value = generation(conn) + 1
    set_meta(conn, "generation", str(value))
    return value


def chunked(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(count: int) -> str:
    return ",".join("?" * count)


# -- papers ---------------------------------------------------------------------------------


def paper_to_row(paper: Paper, *, title_key: str | None, origin: str, text_chars: int) -> tuple:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        json.dumps([a.to_dict() for a in paper.authors], ensure_ascii=False),
        paper.year,
        paper.venue,
        paper.url,
        paper.citation_count,
        json.dumps(paper.external_ids, ensure_ascii=False, sort_keys=True),
        paper.source,
        json.dumps(paper.source_ids, ensure_ascii=False, sort_keys=True),
        paper.licence,
        paper.provenance,
        json.dumps(paper.fields_of_study, ensure_ascii=False),
        title_key,
        origin,
        text_chars,
    )


def row_to_paper(row: sqlite3.Row) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=[Author(a.get("name", ""), a.get("authorId")) for a in json.loads(row["authors"])],
        year=row["year"],
        venue=row["venue"],
        url=row["url"],
        citation_count=row["citation_count"],
        external_ids=json.loads(row["external_ids"]),
        source=row["source"],
        source_ids=json.loads(row["source_ids"]),
        licence=row["licence"],
        provenance=row["provenance"],
        fields_of_study=json.loads(row["fields_of_study"]),
    )


def upsert_paper(conn: sqlite3.Connection, row: tuple) -> None:
    """Insert a paper row, or replace every column of the stored one (same id)."""
    assignments = ", ".join(f"{c} = excluded.{c}" for c in _PAPER_COLUMNS[1:])
    conn.execute(
        f"INSERT INTO papers({', '.join(_PAPER_COLUMNS)}) "
        f"VALUES ({placeholders(len(_PAPER_COLUMNS))}) "
        f"ON CONFLICT(id) DO UPDATE SET {assignments}",
        row,
    )


def get_paper_row(conn: sqlite3.Connection, paper_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()


def papers_by_id(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Paper]:
    found: dict[str, Paper] = {}
    for part in chunked(list(dict.fromkeys(ids))):
        sql = f"SELECT * FROM papers WHERE id IN ({placeholders(len(part))})"
        for row in conn.execute(sql, tuple(part)):
            found[row["id"]] = row_to_paper(row)
    return found


def paper_for_external_id(conn: sqlite3.Connection, kind: str, value: str) -> str | None:
    row = conn.execute(
        "SELECT paper_id FROM paper_ids WHERE kind = ? AND value = ?", (kind, value)
    ).fetchone()
    return None if row is None else row[0]


def paper_for_title_key(conn: sqlite3.Connection, key: str, year: int) -> str | None:
    row = conn.execute(
        "SELECT id FROM papers WHERE title_key = ? AND year = ? ORDER BY rowid LIMIT 1",
        (key, year),
    ).fetchone()
    return None if row is None else row[0]


def register_external_ids(conn: sqlite3.Connection, paper_id: str, ids: dict[str, str]) -> None:
    """Claim each (kind, value) for ``paper_id`` unless another paper already holds it."""
    conn.executemany(
        "INSERT OR IGNORE INTO paper_ids(kind, value, paper_id) VALUES (?, ?, ?)",
        [(kind, value, paper_id) for kind, value in ids.items()],
    )


# -- passages -------------------------------------------------------------------------------


def row_to_passage(row: sqlite3.Row) -> Passage:
    return Passage(
        id=row["passage_id"],
        paper_id=row["paper_id"],
        ordinal=row["ordinal"],
        text=row["text"],
        section=row["section"],
        page=row["page"],
        chunker=row["chunker"],
    )


def insert_passages(
    conn: sqlite3.Connection, passages: Sequence[Passage], vectors: Sequence[bytes | None]
) -> list[int]:
    """Insert passages with their vector BLOBs and FTS entries; returns their rowids."""
    rowids: list[int] = []
    for passage, vector in zip(passages, vectors, strict=True):
        cur = conn.execute(
            f"INSERT INTO passages({_PASSAGE_COLUMNS}, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                passage.id,
                passage.paper_id,
                passage.ordinal,
                passage.section,
                passage.page,
                passage.text,
                passage.chunker,
                vector,
            ),
        )
        rowids.append(int(cur.lastrowid))
    for part in chunked(rowids):
        conn.execute(
            "INSERT INTO passages_fts(rowid, title, text) SELECT rowid, title, text "
            f"FROM passage_fts_source WHERE rowid IN ({placeholders(len(part))})",
            tuple(part),
        )
    return rowids


def delete_fts_of_paper(conn: sqlite3.Connection, paper_id: str) -> None:
    """Remove a paper's passages from FTS; must run while its title and text are unchanged,
    since an external-content FTS5 table deletes by the values it indexed."""
    conn.execute(
        "INSERT INTO passages_fts(passages_fts, rowid, title, text) "
        "SELECT 'delete', rowid, title, text FROM passage_fts_source WHERE paper_id = ?",
        (paper_id,),
    )


def insert_fts_of_paper(conn: sqlite3.Connection, paper_id: str) -> None:
    conn.execute(
        "INSERT INTO passages_fts(rowid, title, text) "
        "SELECT rowid, title, text FROM passage_fts_source WHERE paper_id = ?",
        (paper_id,),
    )


def delete_passages_of_paper(conn: sqlite3.Connection, paper_id: str) -> list[int]:
    """Delete a paper's passages and their FTS entries; returns the removed rowids."""
    rowids = [
        r[0] for r in conn.execute("SELECT rowid FROM passages WHERE paper_id = ?", (paper_id,))
    ]
    if rowids:
        delete_fts_of_paper(conn, paper_id)
        conn.execute("DELETE FROM passages WHERE paper_id = ?", (paper_id,))
    return rowids


def passages_by_id(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Passage]:
    found: dict[str, Passage] = {}
    for part in chunked(list(dict.fromkeys(ids))):
        sql = (
            f"SELECT {_PASSAGE_COLUMNS} FROM passages "
            f"WHERE passage_id IN ({placeholders(len(part))})"
        )
        for row in conn.execute(sql, tuple(part)):
            found[row["passage_id"]] = row_to_passage(row)
    return found


def passage_ids_for_rowids(conn: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, str]:
    wanted = list(dict.fromkeys(int(r) for r in rowids))
    found: dict[int, str] = {}
    for part in chunked(wanted):
        sql = f"SELECT rowid, passage_id FROM passages WHERE rowid IN ({placeholders(len(part))})"
        found.update({row[0]: row[1] for row in conn.execute(sql, tuple(part))})
    return found


def iter_vectors(conn: sqlite3.Connection, batch: int = 4096) -> Iterator[list[tuple[int, bytes]]]:
    """Every (rowid, embedding BLOB) in rowid order, in lists of ``batch``."""
    last = -1
    while True:
        rows = conn.execute(
            "SELECT rowid, embedding FROM passages WHERE embedding IS NOT NULL AND rowid > ? "
            "ORDER BY rowid LIMIT ?",
            (last, batch),
        ).fetchall()
        if not rows:
            return
        yield [(r[0], r[1]) for r in rows]
        last = rows[-1][0]


# -- records and sources ----------------------------------------------------------------------


def record_paper(conn: sqlite3.Connection, source: str, digest: str) -> str | None:
    """The paper an identical record of ``source`` went into, if it was ingested before."""
    row = conn.execute(
        "SELECT paper_id FROM records WHERE source = ? AND digest = ?", (source, digest)
    ).fetchone()
    return None if row is None else row[0]


def remember_record(conn: sqlite3.Connection, source: str, digest: str, paper_id: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO records(source, digest, paper_id) VALUES (?, ?, ?)",
        (source, digest, paper_id),
    )


def record_key(conn: sqlite3.Connection, source: str, raw_id: str) -> sqlite3.Row | None:
    """The paper the record ``raw_id`` of ``source`` went into, and the version (sha256) of
    the file it was last read from (``None`` when unknown)."""
    return conn.execute(
        "SELECT paper_id, version FROM record_keys WHERE source = ? AND raw_id = ?",
        (source, raw_id),
    ).fetchone()


def save_record_key(
    conn: sqlite3.Connection, source: str, raw_id: str, paper_id: str, version: str | None
) -> None:
    """Key the record ``raw_id`` of ``source`` to ``paper_id``; a ``None`` version keeps the
    version already recorded."""
    conn.execute(
        "INSERT INTO record_keys(source, raw_id, paper_id, version) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(source, raw_id) DO UPDATE SET paper_id = excluded.paper_id, "
        "version = COALESCE(excluded.version, record_keys.version)",
        (source, raw_id, paper_id, version),
    )


def forget_records(conn: sqlite3.Connection, source: str, paper_id: str) -> None:
    """Forget which records of ``source`` went into ``paper_id`` (their digests and keys)."""
    conn.execute("DELETE FROM records WHERE source = ? AND paper_id = ?", (source, paper_id))
    conn.execute("DELETE FROM record_keys WHERE source = ? AND paper_id = ?", (source, paper_id))


def delete_paper(conn: sqlite3.Connection, paper_id: str) -> list[int]:
    """Delete a paper with its passages and FTS entries (its external ids and records go
    with it); returns the removed passage rowids, for the dense index."""
    rowids = delete_passages_of_paper(conn, paper_id)
    conn.execute("DELETE FROM papers WHERE id = ?", (paper_id,))
    return rowids


def set_source_ids(conn: sqlite3.Connection, paper_id: str, source_ids: dict[str, str]) -> None:
    conn.execute(
        "UPDATE papers SET source_ids = ? WHERE id = ?",
        (json.dumps(source_ids, ensure_ascii=False, sort_keys=True), paper_id),
    )


def backfill_identity(
    conn: sqlite3.Connection, dedup_ids: Callable[[dict[str, Any]], dict[str, str]]
) -> None:
    """Bring a store written before record keys existed up to date: register every paper's
    dedup ids (``dedup_ids`` of its external ids) not yet held by another paper (a paper kept
    apart from a record of its own file registered none, so the same record read from another
    path could not find it), and key every paper by the (source, raw id) pairs it came from."""
    for row in _papers_in_rowid_order(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO paper_ids(kind, value, paper_id) VALUES (?, ?, ?)",
            [(k, v, row["id"]) for k, v in dedup_ids(json.loads(row["external_ids"])).items()],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO record_keys(source, raw_id, paper_id, version) "
            "VALUES (?, ?, ?, NULL)",
            [(src, raw, row["id"]) for src, raw in json.loads(row["source_ids"]).items() if raw],
        )


def _papers_in_rowid_order(conn: sqlite3.Connection, batch: int = 5000) -> Iterator[sqlite3.Row]:
    last = 0
    while rows := conn.execute(
        "SELECT rowid, id, external_ids, source_ids FROM papers WHERE rowid > ? "
        "ORDER BY rowid LIMIT ?",
        (last, batch),
    ).fetchall():
        yield from rows
        last = rows[-1]["rowid"]


def source_row(conn: sqlite3.Connection, path: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sources WHERE path = ?", (path,)).fetchone()


def save_source(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    """Insert or update one ``sources`` row (``values`` keyed by column name)."""
    columns = list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "path")
    conn.execute(
        f"INSERT INTO sources({', '.join(columns)}) VALUES ({placeholders(len(columns))}) "
        f"ON CONFLICT(path) DO UPDATE SET {updates}",
        tuple(values.values()),
    )


def all_sources(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every ingested file's row, with its papers and passages counted in the datastore as it
    is now, over all the ingest runs that read the file: ``papers_added`` = papers first
    stored from it, ``passages_added`` = their passages, ``papers_merged`` = papers first
    stored from elsewhere that its records were merged into."""
    added = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            "SELECT pa.origin, COUNT(DISTINCT pa.id), COUNT(p.rowid) FROM papers pa "
            "LEFT JOIN passages p ON p.paper_id = pa.id GROUP BY pa.origin"
        )
    }
    merged = dict(
        conn.execute(
            "SELECT r.source, COUNT(DISTINCT r.paper_id) FROM records r "
            "JOIN papers pa ON pa.id = r.paper_id WHERE pa.origin != r.source GROUP BY r.source"
        ).fetchall()
    )
    sources = []
    for row in conn.execute("SELECT * FROM sources ORDER BY path"):
        papers, passages = added.get(row["path"], (0, 0))
        sources.append(
            {
                **dict(row),
                "papers_added": papers,
                "papers_merged": merged.get(row["path"], 0),
                "passages_added": passages,
                "finished": bool(row["finished"]),
            }
        )
    return sources


# -- embedding cache --------------------------------------------------------------------------


def cached_vectors(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in chunked(list(dict.fromkeys(keys))):
        sql = f"SELECT key, vector FROM embedding_cache WHERE key IN ({placeholders(len(part))})"
        found.update({row[0]: row[1] for row in conn.execute(sql, tuple(part))})
    return found


def cache_vectors(conn: sqlite3.Connection, items: Iterable[tuple[str, bytes]]) -> None:
    conn.executemany("INSERT OR IGNORE INTO embedding_cache(key, vector) VALUES (?, ?)", items)
