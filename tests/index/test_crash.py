"""Kill -9 an ingest at several points: SQLite must hold whole papers only, FAISS must agree
with it on the next open, and running the ingest again must end where an uninterrupted run
ends."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from index_builders import synthetic_records, write_jsonl

from litsynth.config import Settings, load_settings
from litsynth.corpus.ingest import ingest
from litsynth.index.datastore import DB_NAME, Datastore

pytestmark = pytest.mark.slow

RECORDS = 120
BATCH = 6
#: Kill once at least this many papers are committed (0 = as soon as the process runs).
KILL_AFTER = (0, 24, 72)

_INGEST = """
import sys
from litsynth.config import load_settings
from litsynth.corpus.ingest import ingest
from litsynth.index.datastore import Datastore

with Datastore.open(load_settings(overrides={"home": sys.argv[1]})) as store:
    ingest(store, [sys.argv[2]], batch_papers=int(sys.argv[3]), progress=False)
"""


def _committed_papers(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _start_and_kill(home: Path, corpus: Path, papers: int) -> bool:
    """Run the ingest in a subprocess and SIGKILL it once ``papers`` are committed; returns
    False when it finished before that."""
    process = subprocess.Popen(
        [sys.executable, "-c", _INGEST, str(home), str(corpus), str(BATCH)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if (papers == 0 or _committed_papers(home / DB_NAME) >= papers) and (
            papers > 0 or home.exists()
        ):
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode(errors="replace")
    return False


def _snapshot(settings: Settings) -> dict:
    with Datastore.open(settings) as store:
        stats = store.stats()
        conn = sqlite3.connect(store.db_path)
        try:
            passages = {
                paper: sorted(ids.split(","))
                for paper, ids in conn.execute(
                    "SELECT paper_id, group_concat(passage_id) FROM passages GROUP BY paper_id"
                )
            }
            papers = {r[0] for r in conn.execute("SELECT id FROM papers")}
        finally:
            conn.close()
    return {"stats": stats, "passages": passages, "papers": papers}


def _assert_consistent(snapshot: dict, reference: dict) -> None:
    stats = snapshot["stats"]
    assert stats["dense"]["ntotal"] == stats["passages_with_vectors"] == stats["passages"]
    # every stored paper is whole: it has exactly the passages an uninterrupted run gives it
    assert snapshot["papers"] <= reference["papers"]
    assert set(snapshot["passages"]) == snapshot["papers"]
    for paper, passage_ids in snapshot["passages"].items():
        assert passage_ids == reference["passages"][paper], paper


def test_killed_ingest_leaves_whole_papers_and_resumes(tmp_path: Path, encoder) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", synthetic_records(RECORDS))
    reference_settings = load_settings(overrides={"home": str(tmp_path / "reference")})
    with Datastore.open(reference_settings) as store:
        ingest(store, [corpus], batch_papers=BATCH, progress=False)
    reference = _snapshot(reference_settings)
    assert len(reference["papers"]) == RECORDS  # same-file DOI twins stay separate

    home = tmp_path / "crashed"
    settings = load_settings(overrides={"home": str(home)})
    kills = 0
    for papers in KILL_AFTER:
        if _start_and_kill(home, corpus, papers):
            kills += 1
            _assert_consistent(_snapshot(settings), reference)
    assert kills >= 2
    with Datastore.open(settings) as store:
        report = ingest(store, [corpus], batch_papers=BATCH, progress=False)
    assert report.papers_added + report.papers_unchanged == RECORDS
    final = _snapshot(settings)
    _assert_consistent(final, reference)
    assert final["passages"] == reference["passages"]
    for key in ("papers", "passages", "passages_with_vectors", "embedding_cache"):
        assert final["stats"][key] == reference["stats"][key], key
    assert final["stats"]["dense"]["ntotal"] == reference["stats"]["dense"]["ntotal"]
