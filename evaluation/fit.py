"""Fit the fusion weights by K-fold cross-validation; report the held-out folds.

    askreport [--index-dir DIR] eval FILE [FILE=INDEX_DIR …] --cv K [--seed S] [--save]

What is fitted. `Searcher.fuse` ranks passages by a linear score over five per-passage features:

    w_dense_passage * dense_passage + w_dense_sentence * dense_sentence + w_bm25 * bm25
        + table_bm25 * table_gate * bm25 + w_named * named

A ranking does not change when every weight is multiplied by the same positive number, so one of
the five is not free: the two dense weights are held to the sum they have today (0.85, which keeps
the displayed score on its usual scale) and four numbers are fitted, each with a meaning one can
check by reading a ranking:

    share       w_dense_passage / (w_dense_passage + w_dense_sentence): whole passage against its best sentence
    w_bm25      how much shared words count next to meaning
    table_bm25  the extra lexical weight of a table row whose own words match (dense models read tables poorly)
    w_named     the lift for passages of a document the query names (a council, a title, its year)

How. The expensive part of a query (its encoding and BM25) is done once: `collect` keeps, per query,
a pool of candidate passages (the union of the `pool` best by each signal and by the hand-set and the
current fused score), their five features, and whether each is a hit under the rule of
evaluation/evaluate.py (report sets: a gold string in the text or a span overlapping a gold string;
library sets: score_library's document-and-text rule). Any weight vector is then scored in numpy,
with the searcher's own float32 arithmetic and tie order (stable, by passage index), so the hand-set
weights reproduce `askreport eval`'s figures. The fit is a coordinate search over a fixed grid per
parameter (plus the starting value), from the hand-set weights, maximising MRR@10 averaged over the
sets (each set counts the same, whatever its size), ties broken by R@1, then by staying nearer the
current value — so it moves only for a strict gain. A grid over four explainable numbers was chosen
over a pairwise logistic model: MRR@10 and R@1 are what is reported, a grid optimises them directly
(a logistic loss is only a proxy), with ~100-250 queries four free parameters are what the data can
support, and the result is deterministic (no solver tolerance, no random restarts).

Cross-validation: the answerable queries of all sets are split into K folds stratified by (set,
kind), with a fixed seed; each fold's figures come from weights fitted on the other K-1 folds. The
hand-set weights are fitted on nothing here, so their held-out figures are their figures on every
query. Finally the weights are fitted on all queries: those are the candidates for search/weights.toml,
adopted (`--save`) only when, on every set, the held-out MRR@10 is strictly higher than the
hand-set weights' and R@1 is not lower; otherwise the file keeps the hand-set values and records the
fit that was not adopted.

A pool is an approximation for weights far from those it was drawn with (a passage outside every
signal's top `pool` could in principle enter a top 10); with pool=300 per signal that does not happen
in practice, and the hand-set figures are exact.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .evaluate import gold_spans, is_hit, library_hit, norm
from .weights_file import WEIGHTS_FILE, write_weights

FEATURES = ("dense_passage", "dense_sentence", "bm25", "table_gate", "named")
WEIGHTS = ("w_dense_passage", "w_dense_sentence", "w_bm25", "table_bm25", "w_named")
PARAMS = ("share", "w_bm25", "table_bm25", "w_named")
GRIDS = {
    "share": np.round(np.arange(0.0, 1.0 + 1e-9, 0.05), 4),
    "w_bm25": np.round(np.arange(0.0, 1.0 + 1e-9, 0.025), 4),
    "table_bm25": np.round(np.arange(0.0, 1.5 + 1e-9, 0.1), 4),
    "w_named": np.round(np.arange(0.0, 1.0 + 1e-9, 0.05), 4),
}
MAX_ROUNDS = 8


def hand_set() -> dict[str, float]:
    from search.searcher import HAND_SET
    return dict(HAND_SET)


# -- the data: one candidate pool per query ---------------------------------------------------------
@dataclass
class Data:
    """Every query's candidate pool, concatenated: rows of `features` belong to query `query[row]`;
    query q's rows are start[q]:start[q+1], in passage order (the searcher's tie order)."""
    sets: list[str]                 # per query: the set it comes from (the file's stem)
    ids: list[str]
    kinds: list[str]
    features: np.ndarray            # (rows, 5) float32, columns FEATURES
    hit: np.ndarray                 # (rows,) bool
    passage: np.ndarray             # (rows,) int64: the passage index, the tie-break
    start: np.ndarray               # (queries + 1,) row offsets
    preset: str = "fast"
    files: list[str] = field(default_factory=list)

    @property
    def query(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.ids)), np.diff(self.start))

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def concat(cls, parts: list["Data"]) -> "Data":
        offsets, rows = [0], 0
        for d in parts:
            offsets += (d.start[1:] + rows).tolist()
            rows += int(d.start[-1])
        return cls(sum((d.sets for d in parts), []), sum((d.ids for d in parts), []),
                   sum((d.kinds for d in parts), []),
                   np.concatenate([d.features for d in parts]) if parts else np.zeros((0, 5), np.float32),
                   np.concatenate([d.hit for d in parts]) if parts else np.zeros(0, bool),
                   np.concatenate([d.passage for d in parts]) if parts else np.zeros(0, np.int64),
                   np.array(offsets, dtype=np.int64), parts[0].preset if parts else "fast",
                   sum((d.files for d in parts), []))


def read_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _top(values: np.ndarray, allowed: np.ndarray, n: int) -> np.ndarray:
    idx = np.flatnonzero(allowed & np.isfinite(values))
    if len(idx) > n:
        idx = idx[np.argpartition(-values[idx], n - 1)[:n]]
    return idx


def collect(searcher, path: Path, pool: int = 300, name: str | None = None) -> Data:
    """Score each answerable query of the set once and keep its candidate pool (see the module doc)."""
    from search.searcher import check_query
    entries = [e for e in read_entries(path) if e.get("kind") != "unanswerable"]
    library = any(isinstance(g, dict) for e in entries for g in e.get("gold") or [])
    passages = searcher.passages
    allowed = searcher.retrievable & searcher.doc_index.mask(None)
    texts = searcher.index.texts
    hand = hand_set()
    feats, hits, pidx, offsets = [], [], [], [0]
    for e in entries:
        scores = searcher.score(check_query(e["query"]))
        X = np.stack([np.asarray(scores[f], dtype=np.float32) for f in FEATURES], axis=1)
        signals = [X[:, 0], X[:, 1], X[:, 2], np.where(X[:, 3] > 0, X[:, 2], -np.inf),
                   fused(X, hand), np.asarray(searcher.fuse(scores), dtype=np.float64)]
        cand = np.unique(np.concatenate([_top(s, allowed, pool) for s in signals]))
        if library:
            hit = [any(library_hit({"source": passages[i].source, "document": passages[i].document,
                                    "text": passages[i].text}, g) for g in e["gold"]) for i in cand]
        else:
            gold_norm = [norm(g) for g in e["gold"]]
            spans = {doc: gold_spans(text, e["gold"]) for doc, text in texts.items()}
            hit = [is_hit({"text": passages[i].text, "start_char": passages[i].start_char,
                           "end_char": passages[i].end_char, "document": passages[i].document}, gold_norm, spans)
                   for i in cand]
        feats.append(X[cand])
        hits.append(np.array(hit, dtype=bool))
        pidx.append(cand.astype(np.int64))
        offsets.append(offsets[-1] + len(cand))
    n = len(entries)
    return Data([name or Path(path).stem] * n, [e["id"] for e in entries], [e["kind"] for e in entries],
                np.concatenate(feats) if feats else np.zeros((0, 5), np.float32),
                np.concatenate(hits) if hits else np.zeros(0, bool),
                np.concatenate(pidx) if pidx else np.zeros(0, np.int64),
                np.array(offsets, dtype=np.int64), searcher.info.name, [str(path)])


# -- scoring a weight vector: the searcher's arithmetic, in numpy ------------------------------------
def fused(X: np.ndarray, w: dict[str, float]) -> np.ndarray:
    """Searcher.fuse (convex) over feature rows, in the same float32 operations and order."""
    dp, ds, bm, gate, named = (X[:, j] for j in range(5))
    out = 0 + (w["w_dense_passage"] * dp) + (w["w_dense_sentence"] * ds) + (w["w_bm25"] * bm)
    out = out + w["table_bm25"] * gate * bm
    return out + w["w_named"] * named


def ranks(data: Data, w: dict[str, float]) -> np.ndarray:
    """Per query: the rank of its first hit under these weights (0: no hit in the pool)."""
    if not len(data):
        return np.zeros(0, dtype=np.int64)
    s = fused(data.features, w)
    q, seg = data.query, data.start[:-1]
    best = np.maximum.reduceat(np.where(data.hit, s, -np.inf), seg)
    tied = data.hit & (s == best[q])
    first = np.minimum.reduceat(np.where(tied, data.passage, np.iinfo(np.int64).max), seg)
    beats = (s > best[q]) | ((s == best[q]) & (data.passage < first[q]))
    r = np.add.reduceat(beats.astype(np.int64), seg) + 1
    r[~np.isfinite(best)] = 0
    return r


def metrics(r: np.ndarray) -> dict:
    n = len(r)
    if not n:
        return {"n": 0, "R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR": 0.0}
    found = (r >= 1) & (r <= 10)
    return {"n": n, "R@1": float(np.mean(r == 1)), "R@5": float(np.mean(found & (r <= 5))),
            "R@10": float(np.mean(found)), "MRR": float(np.sum(np.where(found, 1.0 / np.maximum(r, 1), 0.0)) / n)}


def table(data: Data, r: np.ndarray) -> dict[tuple[str, str], dict]:
    """(set, kind) -> metrics, with kind "all" per set and set "all" over every set."""
    sets, kinds = np.array(data.sets), np.array(data.kinds)
    out = {}
    for s in sorted(set(data.sets)) + (["all"] if len(set(data.sets)) > 1 else []):
        in_set = np.ones(len(r), bool) if s == "all" else sets == s
        for k in ["all"] + sorted(set(kinds[in_set])):
            out[(s, k)] = metrics(r[in_set & ((kinds == k) if k != "all" else True)])
    return out


def objective(data: Data, r: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """MRR@10 and R@1 on the masked queries, each the mean over sets of the set's figure."""
    sets = np.array(data.sets)
    per = [metrics(r[mask & (sets == s)]) for s in sorted(set(sets[mask]))]
    return (float(np.mean([m["MRR"] for m in per])) if per else 0.0,
            float(np.mean([m["R@1"] for m in per])) if per else 0.0)


# -- the fit --------------------------------------------------------------------------------------------
def to_params(w: dict[str, float]) -> dict[str, float]:
    dense = w["w_dense_passage"] + w["w_dense_sentence"]
    return {"share": w["w_dense_passage"] / dense if dense else 0.5, "w_bm25": w["w_bm25"],
            "table_bm25": w["table_bm25"], "w_named": w["w_named"], "_dense": dense}


def to_weights(p: dict[str, float]) -> dict[str, float]:
    dense = p["_dense"]
    return {"w_dense_passage": round(dense * p["share"], 6), "w_dense_sentence": round(dense * (1 - p["share"]), 6),
            "w_bm25": round(p["w_bm25"], 6), "table_bm25": round(p["table_bm25"], 6), "w_named": round(p["w_named"], 6)}


def fit(data: Data, mask: np.ndarray | None = None, start: dict[str, float] | None = None) -> dict[str, float]:
    """Coordinate search over GRIDS from `start` (the hand-set weights) on the masked queries."""
    mask = np.ones(len(data), bool) if mask is None else mask
    start = hand_set() if start is None else start
    p = to_params(start)
    if not p["_dense"]:
        p["_dense"] = 0.85
    cache: dict[tuple, tuple[float, float]] = {}

    def value(params) -> tuple[float, float]:
        w = to_weights(params)
        key = tuple(w[k] for k in WEIGHTS)
        if key not in cache:
            cache[key] = objective(data, ranks(data, w), mask)
        return cache[key]

    for _ in range(MAX_ROUNDS):
        moved = False
        for name in PARAMS:
            grid = sorted(set(GRIDS[name].tolist()) | {p[name]})
            current = p[name]
            best = max(grid, key=lambda v: (*value({**p, name: v}), -abs(v - current), -v))
            if best != current and value({**p, name: best}) > value(p):
                p[name], moved = best, True
        if not moved:
            break
    return to_weights(p)


def folds(data: Data, k: int, seed: int = 0) -> np.ndarray:
    """Per query its fold 0..k-1: stratified by (set, kind), shuffled with a fixed seed, dealt round
    the folds in turn across strata so that folds differ in size by at most one."""
    if k < 2:
        raise ValueError(f"--cv needs at least 2 folds, not {k}")
    if k > len(data):
        raise ValueError(f"{k} folds for {len(data)} answerable queries; use at most {len(data)}")
    rng = np.random.default_rng(seed)
    out = np.full(len(data), -1, dtype=np.int64)
    strata: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(data.sets, data.kinds)):
        strata.setdefault(key, []).append(i)
    turn = 0
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda i: data.ids[i])
        for i in (members[j] for j in rng.permutation(len(members))):
            out[i] = turn % k
            turn += 1
    return out


@dataclass
class CVResult:
    k: int
    seed: int
    fold: np.ndarray
    hand: dict[str, float]
    fold_weights: list[dict[str, float]]
    final: dict[str, float]
    ranks_hand: np.ndarray
    ranks_fit: np.ndarray             # each query ranked by the weights fitted without its fold
    table_hand: dict
    table_fit: dict

    def better(self) -> tuple[bool, list[str]]:
        """Adopt the fit only if, on every set, held-out MRR@10 is strictly higher and R@1 not lower."""
        why, ok = [], True
        for (s, k), h in self.table_hand.items():
            if k != "all" or s == "all":
                continue
            f = self.table_fit[(s, k)]
            good = f["MRR"] > h["MRR"] and f["R@1"] >= h["R@1"]
            ok &= good
            why.append(f"{s}: MRR {h['MRR']:.3f} -> {f['MRR']:.3f}, R@1 {h['R@1']:.3f} -> {f['R@1']:.3f} "
                       f"({'better' if good else 'not better'})")
        return ok, why


def cross_validate(data: Data, k: int = 5, seed: int = 0, hand: dict[str, float] | None = None) -> CVResult:
    hand = hand_set() if hand is None else hand
    fold = folds(data, k, seed)
    r_fit = np.zeros(len(data), dtype=np.int64)
    fold_weights = []
    for f in range(k):
        w = fit(data, fold != f, hand)
        fold_weights.append(w)
        r_fit[fold == f] = ranks(data, w)[fold == f]
    r_hand = ranks(data, hand)
    final = fit(data, None, hand)
    return CVResult(k, seed, fold, hand, fold_weights, final, r_hand, r_fit, table(data, r_hand), table(data, r_fit))


# -- the report and the weights file ---------------------------------------------------------------------
def weights_line(w: dict[str, float]) -> str:
    return " ".join(f"{k}={w[k]:g}" for k in WEIGHTS)


def report(data: Data, cv: CVResult, printer=print) -> None:
    printer(f"fusion weights for the {data.preset!r} preset: {cv.k}-fold cross-validation (seed {cv.seed}), "
            f"folds stratified by set and kind; {len(data)} answerable queries from {', '.join(data.files)}")
    printer(f"hand-set        {weights_line(cv.hand)}")
    for f, w in enumerate(cv.fold_weights, 1):
        printer(f"fit w/o fold {f}  {weights_line(w)}  (held-out n={int(np.sum(cv.fold == f - 1))})")
    printer(f"fit on all      {weights_line(cv.final)}")
    printer("held-out figures, hand-set -> fitted (hand-set weights were fitted on nothing here: their "
            "held-out figures are their figures on every query)")
    printer(f"{'set':14s} {'kind':12s} {'n':>4s}  {'R@1':>13s}  {'R@5':>13s}  {'R@10':>13s}  {'MRR@10':>13s}")
    for (s, k), h in cv.table_hand.items():
        f = cv.table_fit[(s, k)]
        cells = "  ".join(f"{h[m]:.3f} -> {f[m]:.3f}" for m in ("R@1", "R@5", "R@10", "MRR"))
        printer(f"{s:14s} {k:12s} {h['n']:4d}  {cells}")
    ok, why = cv.better()
    for line in why:
        printer(f"gate  {line}")
    printer("verdict: the fitted weights are better held-out on every set" if ok else
            "verdict: the fitted weights are NOT better held-out on every set; keep the hand-set weights")


def weights_entry(data: Data, cv: CVResult) -> dict:
    ok, why = cv.better()
    chosen = cv.final if ok else cv.hand
    held = {s: {"hand_set_mrr": round(cv.table_hand[(s, "all")]["MRR"], 4),
                "fitted_mrr": round(cv.table_fit[(s, "all")]["MRR"], 4),
                "hand_set_r1": round(cv.table_hand[(s, "all")]["R@1"], 4),
                "fitted_r1": round(cv.table_fit[(s, "all")]["R@1"], 4)}
            for s in sorted(set(data.sets))}
    entry = {**{k: chosen[k] for k in WEIGHTS},
             "source": "fitted" if ok else "hand-set",
             "sets": list(data.files), "queries": len(data), "cv_folds": cv.k, "seed": cv.seed,
             "decision": ("adopted: held-out better on every set" if ok else
                          "kept hand-set: the fit was not better held-out on every set") + "; " + "; ".join(why)}
    if not ok:
        entry["fitted_not_adopted"] = dict(cv.final)
    for s, v in held.items():
        entry[f"heldout_{s}"] = v
    return entry


def _kind(searcher) -> str:
    """"paged" for an index whose passages are mostly a PDF's or Word document's (a library that also holds
    the report), else "text"."""
    paged = sum(p.page is not None for p in searcher.passages)
    return "paged" if paged > len(searcher.passages) / 2 else "text"


def run_cv(pairs: list[tuple[object, Path]], k: int, seed: int = 0, pool: int = 300, save: bool = False,
           printer=print) -> CVResult:
    """pairs: (searcher, set file). Every searcher must use the same model preset (weights are per
    preset) and hold one kind of document: text (sentence units) or paged (PDF, Word), which have
    weights of their own."""
    presets = {s.info.name for s, _ in pairs}
    if len(presets) != 1:
        raise ValueError(f"the sets were searched with different model presets ({', '.join(sorted(presets))}); "
                         "fusion weights are fitted per preset")
    kinds = {_kind(s) for s, _ in pairs}
    if len(kinds) != 1:
        raise ValueError("fit text documents and paged (PDF, Word) documents separately: each kind has its own "
                         "weights; give sets searched in indexes of one kind")
    names = [Path(p).stem for _, p in pairs]
    data = Data.concat([collect(s, p, pool, name) for (s, p), name in zip(pairs, names)])
    cv = cross_validate(data, k, seed)
    report(data, cv, printer)
    if save:
        kind = kinds.pop()
        write_weights(data.preset, kind, weights_entry(data, cv))
        printer(f"wrote the [{data.preset}{'.paged' if kind == 'paged' else ''}] table of {WEIGHTS_FILE}")
    return cv
