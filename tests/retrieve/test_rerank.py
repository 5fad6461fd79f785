from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from litsynth.config import RerankSettings
from litsynth.errors import ConfigError, LLMError
from litsynth.records import Hit, Paper, Passage
from litsynth.retrieve.rerank import (
    CrossEncoderReranker,
    FusedScoreReranker,
    LMReranker,
    RerankReport,
    make_reranker,
    pair_text,
    select_top,
)

# The scripted LM test double lives beside the synthesis tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synthesize"))
from scripted_llm import ScriptedLLM


def make_hit(paper: str, ordinal: int, score: float, *, cites: int | None = None) -> Hit:
    doc = Paper(
        id=paper,
        title=f"Title of {paper}",
        abstract=f"Abstract of {paper}.",
        citation_count=cites,
    )
    text = f"Passage {ordinal} of {paper} about protein folding."
    hit = Hit(Passage(f"{paper}#{ordinal}", paper, ordinal, text), doc)
    hit.score = score
    return hit


def ids(hits: list[Hit]) -> list[str]:
    return [h.passage.id for h in hits]


def test_fused_reranker_sorts_by_fused_score_and_leaves_rerank_unset() -> None:
    hits = [make_hit("a", 0, 0.1), make_hit("b", 0, 0.3), make_hit("c", 0, 0.2)]
    ranked = FusedScoreReranker().rerank("q", hits)
    assert ids(ranked) == ["b#0", "c#0", "a#0"]
    assert all(h.scores["rerank"] is None for h in ranked)


def test_select_top_caps_per_paper_then_cuts() -> None:
    hits = [make_hit("a", i, 1.0 - i / 10) for i in range(4)] + [make_hit("b", 0, 0.1)]
    assert ids(select_top(hits, per_paper=2, top_n=3)) == ["a#0", "a#1", "b#0"]
    assert ids(select_top(hits, per_paper=3, top_n=2)) == ["a#0", "a#1"]
    assert ids(select_top(hits, per_paper=3, top_n=9, min_score=0.75)) == ["a#0", "a#1", "a#2"]


def test_lm_reranker_applies_ratings_in_batches() -> None:
    hits = [make_hit(p, 0, 1.0) for p in "abc"]
    llm = ScriptedLLM(['{"scores": [2, 9]}', '{"scores": [5]}'])
    report = RerankReport()
    ranked = LMReranker(llm, batch=2).rerank("protein folding?", hits, report=report)
    assert ids(ranked) == ["b#0", "c#0", "a#0"]
    assert [h.scores["rerank"] for h in ranked] == [0.9, 0.5, 0.2]
    assert len(report.completions) == 2 and not report.warnings
    assert "Question: protein folding?" in llm.calls[0].user


@pytest.mark.parametrize(
    "replies",
    [
        ["not json", "still not json"],
        ['{"scores": [1]}', '{"scores": [1]}'],  # wrong length
        [LLMError("timeout")],
    ],
)
def test_lm_reranker_failure_keeps_fused_order_with_warning(replies: list) -> None:
    hits = [make_hit("a", 0, 0.2), make_hit("b", 0, 0.5)]
    report = RerankReport()
    ranked = LMReranker(ScriptedLLM(replies), batch=5).rerank("q", hits, report=report)
    assert ids(ranked) == ["b#0", "a#0"]
    assert all(h.scores["rerank"] is None for h in ranked)
    assert any("kept the fused order" in w for w in report.warnings)


def test_make_reranker_picks_backend_or_refuses() -> None:
    assert isinstance(make_reranker(RerankSettings()), FusedScoreReranker)
    auto = make_reranker(RerankSettings(model="/models/ce", citation_prior=0.5))
    assert isinstance(auto, CrossEncoderReranker) and auto.citation_prior == 0.5
    assert isinstance(make_reranker(RerankSettings(backend="lm"), ScriptedLLM([])), LMReranker)
    with pytest.raises(ConfigError, match=r"rerank\.model"):
        make_reranker(RerankSettings(backend="cross-encoder"))
    with pytest.raises(ConfigError, match="language model"):
        make_reranker(RerankSettings(backend="lm"))


def test_pair_text_adds_abstract_only_when_asked() -> None:
    hit = make_hit("a", 0, 0.0)
    assert pair_text(hit, use_abstract=False) == f"Title of a\n{hit.passage.text}"
    assert pair_text(hit, use_abstract=True).endswith("Abstract of a.")


@pytest.fixture(scope="module")
def fake_cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT cross-encoder named as a fake: it checks wiring, not quality."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from litsynth.index.encoder import resolve_encoder_path

    vocab = resolve_encoder_path("all-MiniLM-L6-v2") / "vocab.txt"
    if not vocab.is_file():
        pytest.skip("the MiniLM package's vocab.txt is not installed")
    folder = tmp_path_factory.mktemp("fake-cross-encoder")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(vocab))
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=1,
        initializer_range=0.5,  # large random weights so different pairs score differently
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_cross_encoder_scores_title_passage_pairs(fake_cross_encoder_dir: Path) -> None:
    from sentence_transformers import CrossEncoder

    hits = [make_hit(p, i, 0.0) for p in "abc" for i in range(2)]
    reranker = CrossEncoderReranker(str(fake_cross_encoder_dir), batch_size=4)
    ranked = reranker.rerank("how do proteins fold?", hits)
    direct = CrossEncoder(str(fake_cross_encoder_dir), device="cpu")
    pairs = [("how do proteins fold?", pair_text(h, use_abstract=False)) for h in ranked]
    expected = direct.predict(pairs, show_progress_bar=False)
    assert [h.score for h in ranked] == pytest.approx([float(s) for s in expected], abs=1e-5)
    assert [h.scores["rerank"] for h in ranked] == [h.score for h in ranked]
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert len(set(ids(select_top(ranked, per_paper=1, top_n=5)))) == 3


def test_cross_encoder_citation_prior_adds_log_count(fake_cross_encoder_dir: Path) -> None:
    plain = CrossEncoderReranker(str(fake_cross_encoder_dir))
    with_prior = CrossEncoderReranker(str(fake_cross_encoder_dir), citation_prior=1.0)
    base = {h.passage.id: h.score for h in plain.rerank("q", [make_hit("a", 0, 0.0)])}
    hits = [make_hit("a", 0, 0.0, cites=1000), make_hit("b", 0, 0.0, cites=None)]
    scored = {h.passage.id: h.score for h in with_prior.rerank("q", hits)}
    assert scored["a#0"] == pytest.approx(base["a#0"] + math.log1p(1000), abs=1e-5)
    assert ids(with_prior.rerank("q", hits))[0] == "a#0"
