"""The chunker on one very long text: the tokenizer only ever sees bounded windows, Python-side
memory stays near the size of the text, and the passages are the same as with one window."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from tokenizers import Tokenizer, pre_tokenizers

import litsynth.corpus.chunker as chunker
from litsynth.config import ChunkSettings, EmbeddingSettings
from litsynth.records import Document, Paper, Section
from litsynth.text import iter_sentence_spans, sentence_spans

ENCODER = EmbeddingSettings().model
SMALL = ChunkSettings(max_tokens=64, title_max_tokens=16)


class _LongestInput:
    """A tokenizer that remembers the longest text it was given."""

    def __init__(self, inner: Tokenizer) -> None:
        self.inner = inner
        self.longest = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, text: str, **kwargs: Any) -> Any:
        self.longest = max(self.longest, len(text))
        return self.inner.encode(text, **kwargs)

    def encode_batch(self, texts: list[str], **kwargs: Any) -> Any:
        self.longest = max([self.longest, *map(len, texts)])
        return self.inner.encode_batch(texts, **kwargs)


def _long_document(sentences: int) -> Document:
    """Varied sentences with, in the middle, one sentence of 3,000 words (no boundary)."""
    body = [
        f"Sentence {i} reports kinase{i % 97} binding in cohort {i % 13}." for i in range(sentences)
    ]
    body.insert(sentences // 2, " ".join(f"polymerase{i} site" for i in range(1500)) + ".")
    return Document(Paper(id="doi:10.1/long", title=""), [Section(" ".join(body), "Body")])


def _texts(doc: Document, settings: ChunkSettings = SMALL) -> list[str]:
    return [p.text for p in chunker.chunk_document(doc, settings, ENCODER)]


def test_a_long_text_is_tokenized_in_bounded_windows_with_the_same_passages(
    tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _long_document(2000)
    whole = _texts(doc)  # the default window holds this whole text
    spy = _LongestInput(tokenizer)
    monkeypatch.setattr(chunker, "load_tokenizer", lambda _name: spy)
    monkeypatch.setattr(chunker, "WINDOW_CHARS", 2000)
    assert _texts(doc) == whole
    assert len(doc.sections[0].text) > 50_000  # the long sentence alone is over 20,000
    assert 0 < spy.longest <= 2000


def test_python_memory_follows_the_text_not_its_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before windows the offset tuples of every token made the peak 40 times the text; now it
    # is the passages (about the text's size) plus one window. Rust memory, invisible here, is
    # bounded by the window test above.
    monkeypatch.setattr(chunker, "WINDOW_CHARS", 1 << 14)
    doc = _long_document(8000)
    _texts(Document(doc.paper, [Section("Warm caches up.", "Body")]))
    tracemalloc.start()
    try:
        _texts(doc, ChunkSettings())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(doc.sections[0].text)


def test_budget_checks_of_other_tokenizers_run_in_batches_with_the_same_result(
    tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not BERT's pre-tokenizer, so every passage is re-tokenized on its own and cut again.
    other = Tokenizer.from_str(tokenizer.to_str())
    other.pre_tokenizer = pre_tokenizers.Whitespace()
    spy = _LongestInput(other)
    monkeypatch.setattr(chunker, "load_tokenizer", lambda _name: spy)
    doc = _long_document(300)
    whole = _texts(doc)
    spy.longest = 0
    monkeypatch.setattr(chunker, "WINDOW_CHARS", 1000)
    assert _texts(doc) == whole
    assert spy.longest <= 1000
    encodings = other.encode_batch(whole, add_special_tokens=False)
    assert max(len(e.ids) for e in encodings) <= SMALL.max_tokens - 2


def test_sentence_spans_are_found_lazily() -> None:
    text = "One. Two follows. " * 3
    spans = iter_sentence_spans(text)
    assert next(spans) == (0, 4)
    assert [(0, 4), *spans] == sentence_spans(text)
