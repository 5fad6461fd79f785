"""The embedding cache and its portable form.

Every vector computed during ingest is cached under sha256(model name + embedding text), so
re-ingesting (or rebuilding a corpus) never embeds the same text twice. The cache can be
exported to a compressed ``.npz`` (keys, float16 or float32 vectors, model name) with a
``.sha256`` file beside it, so a demo corpus can ship pre-computed vectors and be built
without running the encoder.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import numpy as np

from litsynth.errors import StoreError
from litsynth.index import store

_DTYPES = {"float16": np.float16, "float32": np.float32}


def cache_key(model: str, text: str) -> str:
    """The cache key of ``text`` embedded by ``model``."""
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_cache(conn: sqlite3.Connection, path: Path, model: str, dtype: str) -> int:
    """Write the whole cache to ``path`` (must end in ``.npz``) and its checksum file."""
    if dtype not in _DTYPES:
        raise StoreError(f"unknown vector dtype {dtype!r}", hint="use float16 or float32")
    if path.suffix != ".npz":
        raise StoreError(f"vector cache file must end in .npz: {path}")
    rows = conn.execute("SELECT key, vector FROM embedding_cache ORDER BY key").fetchall()
    keys = np.array([r[0] for r in rows], dtype="U64")
    blobs = b"".join(r[1] for r in rows)
    dimension = len(rows[0][1]) // 4 if rows else 0
    vectors = np.frombuffer(blobs, dtype=np.float32).reshape(len(rows), dimension)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(
            fh, keys=keys, vectors=vectors.astype(_DTYPES[dtype]), model=np.array(model)
        )
    os.replace(tmp, path)
    checksum_path(path).write_text(f"{_sha256_file(path)}  {path.name}\n", encoding="utf-8")
    return len(rows)


def import_cache(conn: sqlite3.Connection, path: Path, model: str) -> int:
    """Verify ``path`` against its checksum file and model, then add its vectors to the
    cache; returns how many were new."""
    if not path.is_file():
        raise StoreError(f"vector cache file not found: {path}")
    sums = checksum_path(path)
    if not sums.is_file():
        raise StoreError(
            f"no checksum file {sums} beside {path}",
            hint="ship the .sha256 written by export_vector_cache with the .npz",
        )
    expected = sums.read_text(encoding="utf-8").split()[0].lower() if sums.stat().st_size else ""
    actual = _sha256_file(path)
    if actual != expected:
        raise StoreError(
            f"vector cache {path} fails its checksum: expected {expected or '(empty)'}, "
            f"got {actual}",
            hint="the file is damaged or was changed; export it again",
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors, file_model = data["keys"], data["vectors"], str(data["model"])
    except (OSError, KeyError, ValueError) as exc:
        raise StoreError(f"vector cache {path} is not a litsynth vector cache: {exc}") from exc
    if file_model != model:
        raise StoreError(
            f"vector cache {path} holds {file_model!r} vectors, the datastore uses {model!r}",
            hint="use a cache exported with the same embedding.model",
        )
    stored_dim = store.get_meta(conn, "dimension")
    if len(keys) and stored_dim is not None and vectors.shape[1] != int(stored_dim):
        raise StoreError(
            f"vector cache {path} has dimension {vectors.shape[1]}, the datastore {stored_dim}"
        )
    unit = vectors.astype(np.float32)
    # float16 storage loses a little norm; restore unit length for inner-product search.
    norms = np.linalg.norm(unit, axis=1, keepdims=True)
    unit = unit / np.where(norms > 0, norms, 1.0)
    before = conn.total_changes
    with store.transaction(conn):
        store.cache_vectors(conn, ((str(k), v.tobytes()) for k, v in zip(keys, unit, strict=True)))
    return conn.total_changes - before
