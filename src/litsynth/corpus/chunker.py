"""Documents -> Passages that fit the bi-encoder: at most ``max_tokens`` encoder tokens
including the title prefix used for embedding, cut at sentence boundaries, one section per
passage; a sentence longer than the budget is cut at token (preferably word) boundaries."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from litsynth.config import ChunkSettings, EmbeddingSettings
from litsynth.errors import ConfigError
from litsynth.index.encoder import load_tokenizer, special_token_count
from litsynth.records import Document, Passage, Section
from litsynth.text import sentence_spans

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CHUNKER_VERSION = "sent-v1"
#: Fewest text tokens a passage must be allowed after the title prefix and special tokens.
MIN_TEXT_TOKENS = 16
_DEFAULT_ENCODER = EmbeddingSettings().model
_DEFAULT_TITLE_TOKENS = ChunkSettings().title_max_tokens
_TITLE_ONLY = "Title"


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
    with neither gives none."""
    tokenizer = load_tokenizer(encoder_name)
    specials = _special_tokens(encoder_name)
    if settings.max_tokens - specials - settings.title_max_tokens < MIN_TEXT_TOKENS:
        raise ConfigError(
            f"chunk.max_tokens={settings.max_tokens} leaves fewer than {MIN_TEXT_TOKENS} text "
            f"tokens after {specials} special and {settings.title_max_tokens} title tokens"
        )
    _prefix, prefix_tokens = _title_prefix(encoder_name, doc.paper.title, settings.title_max_tokens)
    budget = settings.max_tokens - specials - prefix_tokens

    sections = [s for s in doc.sections if s.text.strip()]
    if not sections and doc.paper.title.strip():
        sections = [Section(doc.paper.title.strip(), _TITLE_ONLY)]
    pieces = _pack_sections(tokenizer, sections, budget)
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


def _pack_sections(
    tokenizer: Tokenizer, sections: list[Section], budget: int
) -> list[tuple[Section, str]]:
    """Whole sentences packed greedily per section. Each section is tokenized once; a
    sentence's token count is the number of section tokens starting inside it."""
    packed: list[tuple[Section, str]] = []
    texts = [section.text for section in sections]
    for section, encoding in zip(
        sections, tokenizer.encode_batch(texts, add_special_tokens=False), strict=True
    ):
        token_starts = [start for start, _end in encoding.offsets]
        start = end = None
        used = 0
        for a, b in sentence_spans(section.text):
            first, last = bisect_left(token_starts, a), bisect_left(token_starts, b)
            count = last - first
            if start is not None and (used + count > budget or count > budget):
                packed.append((section, section.text[start:end]))
                start, used = None, 0
            if count > budget:
                offsets = [(x - a, y - a) for x, y in encoding.offsets[first:last]]
                pieces = _split_tokens(
                    section.text[a:b], offsets, encoding.word_ids[first:last], budget
                )
                packed += [(section, piece) for piece in pieces]
                continue
            start = a if start is None else start
            end, used = b, used + count
        if start is not None:
            packed.append((section, section.text[start:end]))
    packed = [(section, " ".join(text.split())) for section, text in packed]
    if _splits_at_whitespace(tokenizer):
        return packed
    return _enforce_budget(tokenizer, packed, budget)


def _splits_at_whitespace(tokenizer: Tokenizer) -> bool:
    """Whether a substring cut at whitespace tokenizes exactly as the same stretch of the
    whole text: true for BERT WordPiece, whose words never span whitespace or punctuation."""
    return (
        type(tokenizer.pre_tokenizer).__name__ == "BertPreTokenizer"
        and type(tokenizer.model).__name__ == "WordPiece"
    )


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
        pieces = _split_tokens(text, encoding.offsets, encoding.word_ids, budget)
        checked += _enforce_budget(tokenizer, [(section, p) for p in pieces], budget)
    return checked


def _split_tokens(
    text: str,
    offsets: Sequence[tuple[int, int]],
    words: Sequence[int | None],
    budget: int,
) -> list[str]:
    """``text`` cut into pieces of at most ``budget`` tokens (``offsets`` and ``words`` are
    its tokens' character offsets and word indexes), of about equal size so no tiny tail is
    left, each ending at a word start; mid-word only when one word exceeds the budget."""
    count = len(offsets)
    pieces: list[str] = []
    start = 0
    while start < count:
        remaining = count - start
        parts_left = -(-remaining // budget)
        cut = start + -(-remaining // parts_left)
        if cut < count:
            cut = _word_start_before(words, start, cut)
        end = offsets[cut][0] if cut < count else len(text)
        piece = " ".join(text[offsets[start][0] : end].split())
        if piece:
            pieces.append(piece)
        start = cut
    return pieces


def _word_start_before(words: Sequence[int | None], start: int, cut: int) -> int:
    """The last token index in ``(start, cut]`` that begins a word, else ``cut``."""
    for index in range(cut, start, -1):
        if words[index] != words[index - 1]:
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
            cut = _word_start_before(encoding.word_ids, 0, limit)
            base = base[: encoding.offsets[cut][0]].rstrip(". ")
        count = len(tokenizer.encode(f"{base}.", add_special_tokens=False).ids)
        if base and count <= title_max_tokens:
            return f"{base}.", count
    return "", 0
