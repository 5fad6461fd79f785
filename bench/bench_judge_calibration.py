"""Calibrate the AlignmentJudge on SciFact gold evidence and report its agreement.

Pairs (claim, abstract) from SciFact train claims (shared/data/scifact/derived):
  positive          the abstract holds SUPPORT evidence for the claim
  contradict        the abstract holds CONTRADICT evidence (a hard negative: same topic)
  cited-no-evidence an abstract the claim cites that holds no evidence (topical negative)
  random            a random corpus abstract (easy negative)

Claims are split by id (id % 5 < 3: fit, else held out). The logistic weights of the judge's
best-window model are fitted on the fit split by alternating "pick each pair's best-aligned
window under the current weights" and a Newton logistic-regression step; the threshold is the
one with the best F1 on the fit split, and the held-out split is reported. The negation weight
is shown freely fitted, then held at a few penalties (the judge must lower its score on a
negation mismatch); the penalty with the best fit-split F1 is chosen.

    .venv/bin/python bench/bench_judge_calibration.py [--data DIR] [--cache FILE] [--timing]
        [--lm-judge GGUF_OR_URL [--lm-per-kind 40]]

``--lm-judge`` also scores a stratified sample of held-out pairs (``--lm-per-kind`` of each
kind) with ``LMJudge`` over that model, next to the alignment judge on the same pairs: does a
small LM separate contradicting evidence, which the alignment judge cannot?

Writes nothing into the repository; paste the printed constants into
``litsynth/synthesize/judges.py`` (``CALIBRATED``) and the tables into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from litsynth.index.encoder import Encoder
from litsynth.synthesize.judges import CALIBRATED, AlignmentJudge, AlignmentWeights

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scifact" / "derived"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def load_pairs(data: Path, seed: int = 13) -> list[dict]:
    """(claim, abstract sentences, kind, split, gold sentence indexes) for every pair."""
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        corpus = {d["doc_id"]: d["abstract"] for d in map(json.loads, fh)}
    doc_ids = sorted(corpus)
    rng = random.Random(seed)
    pairs: list[dict] = []
    with open(data / "claims_train.jsonl", encoding="utf-8") as fh:
        for claim in map(json.loads, fh):
            split = "fit" if claim["id"] % 5 < 3 else "held-out"
            evidence = {int(k): v for k, v in claim["evidence"].items()}
            base = {"claim": claim["claim"], "split": split, "id": claim["id"]}
            for doc_id, sets in evidence.items():
                labels = {s["label"] for s in sets}
                kind = "positive" if "SUPPORT" in labels else "contradict"
                gold = sorted({i for s in sets for i in s["sentences"]})
                pairs.append({**base, "doc": corpus[doc_id], "kind": kind, "gold": gold})
            for doc_id in claim["cited_doc_ids"]:
                if doc_id not in evidence and doc_id in corpus:
                    pairs.append({**base, "doc": corpus[doc_id], "kind": "cited-no-evidence"})
            excluded = set(evidence) | set(claim["cited_doc_ids"])
            other = rng.choice([d for d in rng.sample(doc_ids, 5) if d not in excluded])
            pairs.append({**base, "doc": corpus[other], "kind": "random"})
    return pairs


def compute_features(pairs: list[dict], judge: AlignmentJudge, cache: Path) -> list[np.ndarray]:
    """Window features of every pair (weight-independent, so computed once). Progress is
    saved to ``cache`` every 50 claims, so an interrupted run resumes where it stopped."""
    done: dict[int, np.ndarray] = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
    by_claim: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        by_claim.setdefault(pair["claim"], []).append(i)
    start = time.perf_counter()
    for n, (claim, indexes) in enumerate(by_claim.items(), 1):
        if all(i in done for i in indexes):
            continue
        passages = [" ".join(pairs[i]["doc"]) for i in indexes]
        done.update(zip(indexes, judge.window_features(claim, passages), strict=True))
        if n % 50 == 0 or n == len(by_claim):
            cache.write_bytes(pickle.dumps(done))
            print(f"  features: {n}/{len(by_claim)} claims, {time.perf_counter() - start:.0f}s")
    return [done[i] for i in range(len(pairs))]


def fit_logistic(x: np.ndarray, y: np.ndarray, offset: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Weights (last = bias) of an L2-regularised logistic regression with a fixed per-row
    ``offset`` added to the logit, by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xb @ w + offset)))
        grad = xb.T @ (p - y) + l2 * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def coefficients(weights: AlignmentWeights) -> np.ndarray:
    return np.array([weights.cosine, weights.overlap, weights.negation])


def best_window(feature: np.ndarray, weights: AlignmentWeights) -> int:
    """Index of the best-aligned window, as AlignmentJudge.best_logit picks it."""
    return int(np.argmax(feature[:, :2] @ [weights.cosine, weights.overlap]))


def best_rows(features: list[np.ndarray], weights: AlignmentWeights) -> np.ndarray:
    """Each pair's best-aligned window under ``weights`` (a zero row for an empty abstract)."""
    return np.array([f[best_window(f, weights)] if len(f) else np.zeros(3) for f in features])


def fit(features: list[np.ndarray], labels: np.ndarray, negation: float | None) -> AlignmentWeights:
    """Alternate best-window choice and logistic fit until the choices stop changing. With
    ``negation`` given, the negation weight is held at that value and the rest is fitted."""
    weights, rows = CALIBRATED, None
    for _ in range(10):
        new_rows = best_rows(features, weights)
        if rows is not None and np.array_equal(rows, new_rows):
            break
        rows = new_rows
        if negation is None:
            cos, overlap, neg, bias = fit_logistic(rows, labels, np.zeros(len(rows)))
        else:
            cos, overlap, bias = fit_logistic(rows[:, :2], labels, negation * rows[:, 2])
            neg = negation
        weights = AlignmentWeights(
            *(round(float(v), 3) for v in (cos, overlap, neg, bias)), threshold=0.5
        )
    return weights


def metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    pred = scores >= threshold
    tp = int((pred & (labels == 1)).sum())
    fp = int((pred & (labels == 0)).sum())
    fn = int((~pred & (labels == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float((pred == (labels == 1)).mean()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def scores_of(features: list[np.ndarray], weights: AlignmentWeights) -> np.ndarray:
    rows = best_rows(features, weights)
    return 1 / (1 + np.exp(-(rows @ coefficients(weights) + weights.bias)))


def report(
    pairs: list[dict], features: list[np.ndarray], negation: float | None
) -> tuple[AlignmentWeights, float]:
    """Fit on the fit split, choose the threshold there, print held-out agreement tables;
    returns the weights and their F1 on the fit split."""
    labels = np.array([p["kind"] == "positive" for p in pairs], dtype=float)
    fit_idx = [i for i, p in enumerate(pairs) if p["split"] == "fit"]
    held_idx = [i for i, p in enumerate(pairs) if p["split"] == "held-out"]
    weights = fit([features[i] for i in fit_idx], labels[fit_idx], negation)
    fit_scores = scores_of([features[i] for i in fit_idx], weights)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    threshold = float(max(grid, key=lambda t: metrics(fit_scores, labels[fit_idx], t)["f1"]))
    fit_f1 = metrics(fit_scores, labels[fit_idx], threshold)["f1"]
    weights = AlignmentWeights(
        weights.cosine, weights.overlap, weights.negation, weights.bias, threshold
    )
    variant = "free fit" if negation is None else f"negation weight held at {negation}"
    print(f"\n## {variant}\nfitted: {weights} (fit-split F1 {fit_f1:.3f})")
    held = [features[i] for i in held_idx]
    held_scores = scores_of(held, weights)
    held_labels = labels[held_idx]
    print("\nheld-out agreement with SciFact gold (positive = SUPPORT evidence):")
    print("| threshold | accuracy | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for t in sorted({*THRESHOLDS, threshold}):
        m = metrics(held_scores, held_labels, t)
        mark = " (chosen)" if t == threshold else ""
        print(
            f"| {t:.2f}{mark} | {m['accuracy']:.3f} | {m['precision']:.3f} "
            f"| {m['recall']:.3f} | {m['f1']:.3f} |"
        )
    print("\nheld-out share judged supported at the chosen threshold, by pair kind:")
    print("| kind | pairs | judged supported |")
    print("|---|---|---|")
    kinds = [pairs[i]["kind"] for i in held_idx]
    for kind in ("positive", "contradict", "cited-no-evidence", "random"):
        mask = np.array([k == kind for k in kinds])
        share = float((held_scores[mask] >= threshold).mean()) if mask.any() else 0.0
        print(f"| {kind} | {int(mask.sum())} | {share:.3f} |")
    hits = [alignment_hit(pairs[i], features[i], weights) for i in held_idx if pairs[i].get("gold")]
    print(f"\nbest window contains a gold rationale sentence: {np.mean(hits):.3f} (n={len(hits)})")
    return weights, fit_f1


def alignment_hit(pair: dict, feature: np.ndarray, weights: AlignmentWeights) -> bool:
    """Whether the best window of an evidence pair covers a gold rationale sentence; windows
    are ordered as AlignmentJudge builds them (sentences, then adjacent pairs)."""
    n = len(feature)
    if not n:
        return False
    count = (n + 1) // 2
    best = best_window(feature, weights)
    covered = {best} if best < count else {best - count, best - count + 1}
    return bool(covered & set(pair["gold"]))


def mismatch_rates(pairs: list[dict], features: list[np.ndarray]) -> None:
    """How often the best-aligned window (under CALIBRATED) differs from the claim in
    negation, per pair kind: the evidence for (or against) the negation heuristic."""
    print("\nnegation mismatch in the best-aligned window, by pair kind:")
    for kind in ("positive", "contradict", "cited-no-evidence", "random"):
        rows = best_rows(
            [f for p, f in zip(pairs, features, strict=True) if p["kind"] == kind], CALIBRATED
        )
        print(f"  {kind}: {rows[:, 2].mean():.3f} (n={len(rows)})")


def timing(judge: AlignmentJudge, pairs: list[dict]) -> None:
    """Seconds to verify a 10-sentence answer over 15 passages (warm encoder, cold cache)."""
    from litsynth.synthesize.verify import verify_answer

    rng = random.Random(3)
    chosen = rng.sample([p for p in pairs if p["kind"] == "positive"], 15)
    ctxs = [" ".join(p["doc"][:8]) for p in chosen]
    answer = " ".join(
        f"{p['claim'].rstrip('.')} [{(i + 3) % 15 + 1}]." for i, p in enumerate(chosen[:10])
    )
    judge.encoder.encode(["warm up"])
    judge.clear_cache()
    start = time.perf_counter()
    result = verify_answer(answer, ctxs, judge)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    verify_answer(answer, ctxs, judge)
    warm = time.perf_counter() - start
    print(
        f"\nverify 10 sentences x 15 passages: {cold:.2f}s (empty embedding cache), "
        f"{warm:.2f}s (cached); supported share {result.supported_share_before:.2f} -> "
        f"{result.supported_share_after:.2f}"
    )


def lm_agreement(
    pairs: list[dict], features: list[np.ndarray], llm_spec: str, per_kind: int
) -> None:
    """Share judged supported per kind, LM judge vs alignment judge, on a held-out sample;
    progress is printed per pair, since each LM verdict takes seconds on a CPU."""
    from litsynth import load_settings
    from litsynth.llm.factory import load_llm
    from litsynth.synthesize.judges import LMJudge

    llm = load_llm(load_settings(overrides={"llm": {"backend": llm_spec}}))
    if llm is None:
        raise SystemExit(f"no language model at {llm_spec}")
    judge = LMJudge(llm)
    rng = random.Random(7)
    kinds = ("positive", "contradict", "cited-no-evidence", "random")
    held = [i for i, p in enumerate(pairs) if p["split"] == "held-out"]
    sample = {k: rng.sample([i for i in held if pairs[i]["kind"] == k], per_kind) for k in kinds}
    alignment = dict(zip(held, scores_of([features[i] for i in held], CALIBRATED), strict=True))
    print(f"\n## LM judge ({llm.name}) vs alignment judge, {per_kind} held-out pairs per kind")
    print("| kind | pairs | LM judged supported | LM no verdict | alignment judged supported |")
    print("|---|---:|---:|---:|---:|")
    start = time.perf_counter()
    for kind, indexes in sample.items():
        lm_scores = []
        for n, i in enumerate(indexes, 1):
            lm_scores.append(judge.score(pairs[i]["claim"], [" ".join(pairs[i]["doc"])])[0])
            if n % 10 == 0:
                print(f"  {kind}: {n}/{len(indexes)}, {time.perf_counter() - start:.0f}s")
        valid = [s for s in lm_scores if not np.isnan(s)]
        lm_share = np.mean([s >= judge.threshold for s in valid]) if valid else float("nan")
        align = np.mean([alignment[i] >= CALIBRATED.threshold for i in indexes])
        print(
            f"| {kind} | {len(indexes)} | {lm_share:.2f} | {len(lm_scores) - len(valid)} "
            f"| {align:.2f} |"
        )
    seconds = (time.perf_counter() - start) / (per_kind * len(kinds))
    print(f"LM judge: {seconds:.1f} s per verdict")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/litsynth_judge_features.pkl"))
    parser.add_argument("--timing", action="store_true", help="also time verify_answer")
    parser.add_argument("--lm-judge", help="also score held-out pairs with LMJudge over this LM")
    parser.add_argument("--lm-per-kind", type=int, default=40)
    args = parser.parse_args()
    pairs = load_pairs(args.data)
    judge = AlignmentJudge(Encoder("all-MiniLM-L6-v2"))
    features = compute_features(pairs, judge, args.cache)
    print(f"pairs: {dict(Counter((p['split'], p['kind']) for p in pairs))}")
    mismatch_rates(pairs, features)
    # The free fit is shown for reference; the judge keeps a held penalty so that a negation
    # mismatch always lowers the score, and the penalty is chosen by F1 on the fit split.
    report(pairs, features, None)
    fitted = [report(pairs, features, negation) for negation in (-0.5, -1.0, -2.0)]
    best, fit_f1 = max(fitted, key=lambda pair: pair[1])
    print(f"\nchosen (best F1 on the fit split, {fit_f1:.3f}): {best}")
    if args.timing:
        timing(judge, pairs)
    if args.lm_judge:
        lm_agreement(pairs, features, args.lm_judge, args.lm_per_kind)


if __name__ == "__main__":
    main()
