"""Documents -> Passages that fit the bi-encoder: at most ``max_tokens`` encoder tokens
including the title prefix used for embedding, cut at sentence boundaries, one section per
passage; a sentence longer than the budget is cut at token (preferably word) boundaries."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from litsynth.config import ChunkSettings, EmbeddingSettings
from litsynth.errors import ConfigError
from litsynth.index.encoder import load_tokenizer, special_token_count
from litsynth.records import Document, Passage, Section
from litsynth.text import iter_sentence_spans

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CHUNKER_VERSION = "sent-v1"
#: Fewest text tokens a passage must be allowed after the title prefix and special tokens.
MIN_TEXT_TOKENS = 16
_DEFAULT_ENCODER = EmbeddingSettings().model
_DEFAULT_TITLE_TOKENS = ChunkSettings().title_max_tokens
_TITLE_ONLY = "Title"
#: Most characters given to the tokenizer at once. It needs about 100 bytes per character of
#: one input while it works (2.1 GB for a 20 MB text, measured with all-MiniLM-L6-v2), so a
#: longer section is tokenized in blocks of whole sentences and a longer sentence in windows
#: cut after white space. For WordPiece (see _splits_at_whitespace) that gives the tokens of
#: the whole text; shorter sections are tokenized whole with any tokenizer.
WINDOW_CHARS = 1 << 18
# Everything up to and including the last white space (the cut of a window).
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


def chunker_name(settings: ChunkSettings) -> str:
    """The chunker version and parameters, as recorded on every passage."""
    return f"{CHUNKER_VERSION}:max={settings.max_tokens},title={settings.title_max_tokens}"


def embedding_text(
    title: str,
    passage_text: str,
    *,
    encoder_name: str = _DEFAULT_ENCODER,
    title_max_tokens: int = _DEFAULT_TITLE_TOKENS,
) -> str:
    """The text embedded for a passage: ``"<title>. <text>"``, the title cut so that it and
    its period take at most ``title_max_tokens`` tokens; just the text when untitled."""
    prefix, _count = _title_prefix(encoder_name, title, title_max_tokens)
    return f"{prefix} {passage_text}" if prefix else passage_text


def chunk_document(doc: Document, settings: ChunkSettings, encoder_name: str) -> list[Passage]:
    """The passages of ``doc`` in document order (ids ``<paper_id>#<ordinal>``). A document
    with a title but no text gives one passage holding the title, so it stays findable; one
    with neither gives none. A long section is tokenized in bounded blocks (see
    ``WINDOW_CHARS``), so memory follows the size of the document, not the tokenizer's."""
    tokenizer = load_tokenizer(encoder_name)
    specials = _special_tokens(encoder_name)
    if settings.max_tokens - specials - settings.title_max_tokens < MIN_TEXT_TOKENS:
        raise ConfigError(
            f"chunk.max_tokens={settings.max_tokens} leaves fewer than {MIN_TEXT_TOKENS} text "
            f"tokens after {specials} special and {settings.title_max_tokens} title tokens"
        )
    _prefix, prefix_tokens = _title_prefix(encoder_name, doc.paper.title, settings.title_max_tokens)
    budget = settings.max_tokens - specials - prefix_tokens

    # isspace() rather than strip(): no copy of a long text just to test it.
    sections = [s for s in doc.sections if s.text and not s.text.isspace()]
    if not sections and doc.paper.title.strip():
        sections = [Section(doc.paper.title.strip(), _TITLE_ONLY)]
    pieces = _checked(
        tokenizer,
        ((section, text) for section in sections for text in _pack(tokenizer, section, budget)),
        budget,
    )
    name = chunker_name(settings)
    return [
        Passage(
            id=f"{doc.paper.id}#{ordinal}",
            paper_id=doc.paper.id,
            ordinal=ordinal,
            text=text,
            section=section.title,
            page=section.page,
            chunker=name,
        )
        for ordinal, (section, text) in enumerate(pieces)
    ]


@lru_cache(maxsize=8)
def _special_tokens(encoder_name: str) -> int:
    return special_token_count(encoder_name)


@dataclass(frozen=True)
class _Tokens:
    """Tokens of a stretch of text, in compact arrays (a list of offset tuples from the
    tokenizer costs about 120 bytes a token): where each starts in the whole text, and 1 where
    it begins a word."""

    starts: array[int]
    word_starts: bytearray

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, part: slice) -> _Tokens:
        return _Tokens(self.starts[part], self.word_starts[part])


def _pack(tokenizer: Tokenizer, section: Section, budget: int) -> Iterator[str]:
    """The section's passages: whole sentences packed greedily; a sentence over the budget is
    cut by :func:`_split_tokens`. A sentence's token count is the number of tokens starting
    inside it, the tokens coming from :func:`_sentence_tokens`."""
    text = section.text
    start = end = None
    used = 0
    for a, b, tokens in _sentence_tokens(tokenizer, text):
        count = len(tokens)
        if start is not None and (used + count > budget or count > budget):
            yield _collapse(text[start:end])
            start, used = None, 0
        if count > budget:
            yield from _split_tokens(text, tokens, b, budget)
            continue
        start = a if start is None else start
        end, used = b, used + count
    if start is not None:
        yield _collapse(text[start:end])


def _sentence_tokens(tokenizer: Tokenizer, text: str) -> Iterator[tuple[int, int, _Tokens]]:
    """``(start, end, tokens)`` for each sentence of ``text``. The text is tokenized a block of
    whole sentences at a time (at most ``WINDOW_CHARS``, or one longer sentence), so memory
    follows the block, not the section."""
    block: list[tuple[int, int]] = []
    for a, b in iter_sentence_spans(text):
        if block and b - block[0][0] > WINDOW_CHARS:
            yield from _block_tokens(tokenizer, text, block)
            block = []
        block.append((a, b))
    if block:
        yield from _block_tokens(tokenizer, text, block)


def _block_tokens(
    tokenizer: Tokenizer, text: str, block: list[tuple[int, int]]
) -> Iterator[tuple[int, int, _Tokens]]:
    """``(start, end, tokens)`` for each sentence of a block, tokenized together."""
    tokens = _tokenize(tokenizer, text, block[0][0], block[-1][1])
    for a, b in block:
        yield a, b, tokens[bisect_left(tokens.starts, a) : bisect_left(tokens.starts, b)]


def _tokenize(tokenizer: Tokenizer, text: str, start: int, end: int) -> _Tokens:
    """The tokens of ``text[start:end]``, tokenized in windows of at most ``WINDOW_CHARS``
    cut after white space (anywhere in a stretch without any), which for WordPiece gives the
    tokens of the whole (see :func:`_splits_at_whitespace`)."""
    tokens = _Tokens(array("q"), bytearray())
    while start < end:
        stop = end
        if end - start > WINDOW_CHARS:
            last_space = _UP_TO_LAST_SPACE.match(text, start, start + WINDOW_CHARS)
            stop = last_space.end() if last_space else start + WINDOW_CHARS
        encoding = tokenizer.encode(text[start:stop], add_special_tokens=False)
        tokens.starts.extend(start + offset for offset, _ in encoding.offsets)
        tokens.word_starts.extend(_word_starts(encoding.word_ids))
        start = stop
    return tokens


def _word_starts(words: Sequence[int | None]) -> bytearray:
    """1 for each token whose word index differs from the previous token's (the first token
    always), else 0."""
    return bytearray([1] + [word != before for before, word in pairwise(words)] if words else [])


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _splits_at_whitespace(tokenizer: Tokenizer) -> bool:
    """Whether a substring cut at whitespace tokenizes exactly as the same stretch of the
    whole text: true for BERT WordPiece, whose words never span whitespace or punctuation."""
    return (
        type(tokenizer.pre_tokenizer).__name__ == "BertPreTokenizer"
        and type(tokenizer.model).__name__ == "WordPiece"
    )


def _checked(
    tokenizer: Tokenizer, pieces: Iterable[tuple[Section, str]], budget: int
) -> Iterator[tuple[Section, str]]:
    """``pieces``, each cut again where it exceeds the budget when tokenized on its own; as
    is for a tokenizer whose pieces need no check (see :func:`_splits_at_whitespace`). Pieces
    are checked a batch of at most ``WINDOW_CHARS`` characters at a time."""
    if _splits_at_whitespace(tokenizer):
        yield from pieces
        return
    batch: list[tuple[Section, str]] = []
    size = 0
    for section, text in pieces:
        batch.append((section, text))
        size += len(text)
        if size >= WINDOW_CHARS:
            yield from _enforce_budget(tokenizer, batch, budget)
            batch, size = [], 0
    if batch:
        yield from _enforce_budget(tokenizer, batch, budget)


def _enforce_budget(
    tokenizer: Tokenizer, packed: list[tuple[Section, str]], budget: int
) -> list[tuple[Section, str]]:
    """Every piece re-tokenized on its own and cut again where it now exceeds the budget."""
    texts = [text for _, text in packed]
    checked: list[tuple[Section, str]] = []
    for (section, text), encoding in zip(
        packed, tokenizer.encode_batch(texts, add_special_tokens=False), strict=True
    ):
        if len(encoding.ids) <= budget:
            checked.append((section, text))
            continue
        tokens = _Tokens(
            array("q", (start for start, _end in encoding.offsets)),
            _word_starts(encoding.word_ids),
        )
        pieces = _split_tokens(text, tokens, len(text), budget)
        checked += _enforce_budget(tokenizer, [(section, p) for p in pieces], budget)
    return checked


def _split_tokens(text: str, tokens: _Tokens, end: int, budget: int) -> list[str]:
    """The stretch of ``text`` from the first of ``tokens`` to ``end`` cut into pieces of at
    most ``budget`` tokens, of about equal size so no tiny tail is left, each ending at a word
    start; mid-word only when one word exceeds the budget."""
    count = len(tokens)
    pieces: list[str] = []
    start = 0
    while start < count:
        remaining = count - start
        parts_left = -(-remaining // budget)
        cut = start + -(-remaining // parts_left)
        if cut < count:
            cut = _word_start_before(tokens.word_starts, start, cut)
        stop = tokens.starts[cut] if cut < count else end
        piece = _collapse(text[tokens.starts[start] : stop])
        if piece:
            pieces.append(piece)
        start = cut
    return pieces


def _word_start_before(word_starts: Sequence[int], start: int, cut: int) -> int:
    """The last token index in ``(start, cut]`` that begins a word, else ``cut``."""
    for index in range(cut, start, -1):
        if word_starts[index]:
            return index
    return cut


@lru_cache(maxsize=8192)
def _title_prefix(encoder_name: str, title: str, title_max_tokens: int) -> tuple[str, int]:
    """``"<title>."`` cut to at most ``title_max_tokens`` tokens, and its token count;
    ``("", 0)`` for no title."""
    base = " ".join(title.split()).rstrip(". ")
    if not base or title_max_tokens < 2:
        return "", 0
    tokenizer = load_tokenizer(encoder_name)
    # One token is the period; a cut title may tokenize differently, hence the loop.
    for limit in range(title_max_tokens - 1, 0, -1):
        encoding = tokenizer.encode(base, add_special_tokens=False)
        if len(encoding.ids) > limit:
            cut = _word_start_before(_word_starts(encoding.word_ids), 0, limit)
            base = base[: encoding.offsets[cut][0]].rstrip(". ")
        count = len(tokenizer.encode(f"{base}.", add_special_tokens=False).ids)
        if base and count <= title_max_tokens:
            return f"{base}.", count
    return "", 0
