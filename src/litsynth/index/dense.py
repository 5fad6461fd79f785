"""The dense index: FAISS, inner product over unit vectors, ids = passage rowids.

The index is built from ``settings.index.factory`` wrapped in ``IDMap2`` and saved to one
file that also records the SQLite generation it reflects, so an index left behind by a crash
(or deleted, or damaged) is detected on open and rebuilt from the vectors in SQLite. Factories
that need training (IVF, PQ) are trained on every stored vector once there are enough.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from litsynth.errors import StoreError

_MAGIC = b"LITSYNTH-FAISS-1"
# magic, generation, payload length, sha256 of the payload
_HEADER = struct.Struct(f"<{len(_MAGIC)}sQQ32s")


class DenseFileError(StoreError):
    """The saved index file is missing, truncated or damaged (it will be rebuilt)."""


class DenseIndex:
    """A FAISS ``IDMap2`` index plus the factory string it was built from."""

    def __init__(self, factory: str, index: faiss.Index) -> None:
        self.factory = factory
        self.index = index

    @classmethod
    def create(cls, factory: str, dimension: int) -> DenseIndex:
        """An empty index of ``dimension`` built from ``factory`` (inner-product metric)."""
        try:
            inner = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise StoreError(
                f"invalid FAISS factory string {factory!r}: {exc}",
                hint="set index.factory to 'Flat', 'HNSW32' or e.g. 'IVF1024,Flat'",
            ) from exc
        return cls(factory, faiss.IndexIDMap2(inner))

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def is_trained(self) -> bool:
        return bool(self.index.is_trained)

    def min_training_vectors(self) -> int:
        """Fewest vectors worth training on: FAISS's advice of 39 per IVF list, else 1."""
        try:
            return 39 * int(faiss.extract_index_ivf(self.index).nlist)
        except RuntimeError:  # not an IVF index
            return 1

    def train(self, vectors: np.ndarray) -> None:
        """Train the index on ``vectors``; a clear error when there are too few."""
        needed = self.min_training_vectors()
        if len(vectors) < needed:
            raise StoreError(
                f"FAISS index {self.factory!r} needs at least {needed} vectors to train; "
                f"the datastore has {len(vectors)}",
                hint="ingest more passages, or use index.factory='Flat' for a small datastore",
            )
        try:
            self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))
        except RuntimeError as exc:
            raise StoreError(
                f"FAISS index {self.factory!r} cannot be trained on {len(vectors)} vectors: {exc}",
                hint="ingest more passages, or use index.factory='Flat' for a small datastore",
            ) from exc

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(ids, dtype=np.int64),
            )

    def remove(self, ids: Iterable[int]) -> None:
        """Remove ``ids``; raises ``RuntimeError`` for index types that cannot remove."""
        wanted = np.fromiter(ids, dtype=np.int64)
        if len(wanted):
            self.index.remove_ids(wanted)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)``, each (n, k); missing neighbours have id -1."""
        k = max(1, min(k, self.ntotal))
        return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)

    def save(self, path: Path, generation: int) -> None:
        """Write atomically (temporary file + ``os.replace``) with ``generation`` in the header."""
        payload = faiss.serialize_index(self.index).tobytes()
        header = _HEADER.pack(_MAGIC, generation, len(payload), hashlib.sha256(payload).digest())
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(header)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, factory: str) -> tuple[DenseIndex, int]:
        """The saved index and the generation it reflects; :class:`DenseFileError` when the
        file is missing or damaged."""
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise DenseFileError(f"no dense index file at {path}") from exc
        if len(data) < _HEADER.size:
            raise DenseFileError(f"dense index file {path} is truncated")
        magic, generation, length, digest = _HEADER.unpack_from(data)
        payload = data[_HEADER.size :]
        if magic != _MAGIC or length != len(payload) or hashlib.sha256(payload).digest() != digest:
            raise DenseFileError(f"dense index file {path} is damaged")
        index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        return cls(factory, index), int(generation)


def vectors_from_blobs(blobs: Iterable[bytes], dimension: int) -> np.ndarray:
    """Stack float32 BLOBs into an (n, dimension) array."""
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype=np.float32).reshape(-1, dimension)
