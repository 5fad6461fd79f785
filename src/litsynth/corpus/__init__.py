"""Corpus input: readers per format, content-based format detection, id normalisation and
the sentence-aware chunker that turns Documents into Passages."""

from litsynth.corpus.chunker import (
    CHUNKER_VERSION,
    chunk_document,
    chunker_name,
    embedding_text,
)
from litsynth.corpus.detect import detect_format, read_documents
from litsynth.corpus.ids import (
    make_paper_id,
    normalise_arxiv,
    normalise_doi,
    normalise_title,
    title_key,
)
from litsynth.corpus.readers import FORMATS

__all__ = [
    "CHUNKER_VERSION",
    "FORMATS",
    "chunk_document",
    "chunker_name",
    "detect_format",
    "embedding_text",
    "make_paper_id",
    "normalise_arxiv",
    "normalise_doi",
    "normalise_title",
    "read_documents",
    "title_key",
]
