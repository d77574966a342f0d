"""One calibrated decision: does the report say (or answer) this? Used by `search` (answer.found) and
by `check` (`not-found` against `paraphrase` / `figures-differ`), so the two never disagree.

Features (computed by `features` from the scores search already has; nothing per query or per word):

  dense      cosine similarity of the query with the best-matching sentence (or whole passage)
             anywhere in the report: "does any sentence mean this?"
  lexical    the best BM25 score among the first three results, as a share of the best BM25 score
             of any passage: "do the passages shown also share the query's words?" An on-topic
             question the report cannot answer ("how many reviews in Wales?", "what does a review
             cost?") lands on passages about the same subject that miss its specific words, while
             the passage keyword search likes best is not among the ones the meaning puts first.
  alignment  0-100 word alignment of the text against the report (check only; search leaves it
             None): a typed-from-memory quotation is found whatever the other two say.

  unknown    proper names and numbers in the query that no document contains ("Wales", "2012"):
             a report that never mentions them cannot answer a question about them.

found  <=>  alignment >= quote   or   (dense >= dense_min  and  lexical >= lexical_min  and  no unknown)

How the thresholds were chosen (dev.jsonl: 55 answerable, 7 unanswerable queries; check_dev.jsonl:
15 checks, 3 invented claims; MiniLM-L6 "fast" index; fusion 0.35/0.50/0.15 + 0.3 BM25 on table
rows, as committed 2026-11-26): each threshold catches as many negatives as it can while at most 2 of
the 55 answerable dev queries (the 95% target) are lost, and sits in the middle of the gap there.

  lexical_min 0.565: answerable queries reach >= 0.58 except one (0.40, a question about when a
    review must be held, worded unlike its paragraph); unanswerable ones sit at 0.24, 0.29, 0.29,
    0.49, 0.55 and two at 1.0. The next gaps down are 0.49-0.55 and 0.40-0.49.
  dense_min 0.53: answerable dev queries reach 0.53 except one claim (0.46); the three invented
    check claims sit at 0.525, 0.557, 0.571 — inside the answerable range (0.53-0.57 holds four
    answerable queries) — so this floor catches one of them and otherwise rejects only text nothing
    in the report resembles. Raising it to 0.56 would catch two (check accuracy 14/15) but lose
    4/55 answerable queries (kept 0.93).
  margin (first minus second result), the fused score, and the BM25 rank of the top dense passage
    were measured and separated the classes worse; a rank-based lexical feature (the BM25 rank of
    the top result) also moved a lot when the fusion weights changed, the share above much less.

Measured at these thresholds: dev.jsonl unanswerable flagged 5/7 = 0.71, answerable kept
53/55 = 0.96 (quotes all kept); check_dev grouped verdict accuracy 13/15 = 0.87, source@1 12/12.
After the final fusion (0.35/0.50/0.10 + 0.4 BM25 on table rows whose own words match), which
raised R@1 from 0.80 to 0.855, the lexical feature separates less: flagged 3/7 = 0.43, kept
53/55 = 0.96, check unchanged. Ranking quality was preferred over abstention on dev.
The targets (0.80 flagged, 0.90 check accuracy) are not met together with 0.95 kept: the unanswerable
questions left ("what prison sentence was the father given?", "which local authority did the Polish
case come from?") and the invented claims left ("babies born in winter were at higher risk",
"police forces should employ child psychologists") land on the right case or topic with strong
lexical and dense agreement; telling that the detail asked for is missing needs reading
comprehension, not similarity. The held-out set will move these numbers: every gap above is a few
hundredths wide. Re-measure after a ranking change: python -m index.calibration DEV.jsonl CHECK.jsonl

`confidence` crosses 0.5 exactly at the decision boundary: the smaller of two logistics of
(feature - threshold) / scale; it orders answers, it is not a probability.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Thresholds:
    dense_min: float = 0.53          # the best sentence's cosine similarity must reach this
    lexical_min: float = 0.565       # the first results' best BM25 score, as a share of BM25's best
    quote: float = 75.0              # alignment score (0-100) from which a text is a damaged quotation
    lexical_top: int = 3             # how many of the first results count as "shown"
    dense_scale: float = 0.05        # for confidence only: how fast it moves away from 0.5
    lexical_scale: float = 0.08


THRESHOLDS = Thresholds()


@dataclass
class Features:
    dense: float                     # best dense sentence similarity over the retrievable passages
    lexical: float                   # 0..1: best BM25 score among the first results / best BM25 score
    alignment: float | None = None   # 0-100, from check; None from search
    unknown: tuple[str, ...] = ()    # names and numbers in the query that the documents never mention

    def to_dict(self) -> dict:
        return {"dense": round(self.dense, 4), "lexical": round(self.lexical, 4), "alignment": self.alignment,
                "unknown": list(self.unknown)}


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)*")


def unknown_names(query: str, vocabulary: set[str]) -> tuple[str, ...]:
    """Proper names (a capitalised word not opening a sentence) and numbers in the query that no
    document contains: "How many reviews were carried out in Wales?" cannot be answered by a
    report that never mentions Wales, however close its passages are in meaning."""
    out = []
    for m in _WORD.finditer(query):
        word = re.sub(r"['’]s$", "", m.group()).strip("'’-")
        opens = m.start() == 0 or query[:m.start()].rstrip()[-1:] in ".?!:;\"'‘“("
        named = word[:1].isupper() and not opens and not word.isupper()
        if (named or word[:1].isdigit()) and word.lower() not in vocabulary:
            out.append(word)
    return tuple(out)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def decide(features: Features, t: Thresholds = THRESHOLDS) -> tuple[bool, float]:
    """(found, confidence 0..1); found exactly when confidence >= 0.5."""
    quote = features.alignment is not None and features.alignment >= t.quote
    found = quote or (features.dense >= t.dense_min and features.lexical >= t.lexical_min
                      and not features.unknown)
    confidence = min(_sigmoid((features.dense - t.dense_min) / t.dense_scale),
                     _sigmoid((features.lexical - t.lexical_min) / t.lexical_scale))
    if quote:
        confidence = max(confidence, 0.5 + 0.5 * (features.alignment - t.quote) / max(1e-9, 100.0 - t.quote))
    if features.unknown and not quote:
        confidence = min(confidence, 0.25)
    confidence = min(1.0, max(0.0, confidence))
    return found, (max(confidence, 0.5) if found else min(confidence, 0.499))   # agree at the boundary


def lexical_support(bm25: np.ndarray, shown: list[int], allowed: np.ndarray) -> float:
    """The best BM25 score among the passages shown, as a share of the best score of any passage
    search could return (0 when no passage shares a term with the query)."""
    top = float(np.max(np.where(allowed, bm25, 0.0), initial=0.0))
    if top <= 0 or not len(shown):
        return 0.0
    return float(max(bm25[i] for i in shown)) / top


def features(searcher, scores: dict[str, np.ndarray], order: list[int], alignment: float | None = None,
             t: Thresholds = THRESHOLDS, query: str = "") -> Features:
    """Features of a query from `searcher.score(query)` and the fused order of the passages shown."""
    allowed = np.asarray(searcher.retrievable, dtype=bool)
    unknown = unknown_names(query, searcher.vocabulary) if query else ()
    if not len(order) or not allowed.any():
        return Features(-1.0, 0.0, alignment, unknown)
    dense = float(np.max(np.where(allowed, scores["dense_sentence"], -1.0)))
    return Features(dense, lexical_support(scores["bm25"], [int(i) for i in order[:t.lexical_top]], allowed),
                    alignment, unknown)


# -- re-measuring (the ranking changes: run this, then revisit the thresholds above) ---------------
def measure(searcher, dev_path, check_path=None, t: Thresholds = THRESHOLDS) -> dict:
    """Features of every dev query and the trade-off at `t`. dev_path: kind `unanswerable` should be
    not found, every other kind found; check_path: expect `not-found` against the rest."""
    import json
    rows = []
    for path, key in ((dev_path, "kind"), (check_path, "expect")):
        if not path:
            continue
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            e = json.loads(line)
            query = " ".join(e["query"].split())
            scores = searcher.score(query)
            fused = np.where(searcher.retrievable, searcher.fuse(scores), -np.inf)
            order = [int(i) for i in np.argsort(-fused, kind="stable")[:10]]
            f = features(searcher, scores, order, query=query)
            rows.append({"id": e.get("id"), "set": key, "negative": e[key] in ("unanswerable", "not-found"),
                         "kind": e[key], **f.to_dict(), "found": decide(f, t)[0]})
    dev = [r for r in rows if r["set"] == "kind"]
    neg, pos = [r for r in dev if r["negative"]], [r for r in dev if not r["negative"]]
    return {"rows": rows,
            "unanswerable_flagged": sum(not r["found"] for r in neg) / max(1, len(neg)),
            "answerable_kept": sum(r["found"] for r in pos) / max(1, len(pos))}


if __name__ == "__main__":  # python -m index.calibration DEV.jsonl [CHECK.jsonl]
    import sys
    from pathlib import Path

    from .search import Searcher
    out = measure(Searcher.open(Path(__file__).resolve().parent.parent / "data" / "index"), *sys.argv[1:3])
    for r in sorted(out["rows"], key=lambda r: r["dense"]):
        print(f"{r['id']:6s} {r['kind']:14s} dense={r['dense']:.3f} lexical={r['lexical']:.3f} "
              f"found={r['found']}{'  <-- wrong' if r['found'] == r['negative'] else ''}")
    print(f"unanswerable flagged {out['unanswerable_flagged']:.3f}, answerable kept {out['answerable_kept']:.3f}")
