"""Cross-validate the found/not-found decision (search.decision) and the judge's bar for "the answer".

    askreport [--index-dir DIR] eval FILE [FILE=INDEX_DIR …] --cv K --decision [--judge] [--seed S]

What is fitted. Search calls its top passage *the answer* when (search.decision.decide)

    dense >= dense_min (dense_min_paged where the top passage is a PDF's)  and  lexical >= lexical_min
    and nothing the question names or asks for is missing (unknown names, answer types, documents)

and, with the judge installed, when the judge's P(the passage answers) >= ANSWERS_MIN (check.judge).
The three thresholds and ANSWERS_MIN are the free numbers; the rest has no threshold.

How. Each query is ranked once and its features kept (with --judge, the judge reads every query's
top passage once, found or not, so any threshold can be scored). The fitting rule is the one the
thresholds were first chosen by: among a fixed grid, flag as many unanswerable queries as possible
while keeping at least KEEP of the answerable ones answered (pooled over the sets), ties broken by
keeping more, then by staying nearer today's values, so the fit moves only for a gain. ANSWERS_MIN is
fitted the same way after the thresholds. Folds are stratified by (set, kind), as for the fusion
weights (evaluation/fit.py); each fold's figures come from values fitted on the other folds.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fit import folds

KEEP = 0.95
THRESHOLDS = ("dense_min", "dense_min_paged", "lexical_min")
GRIDS = {"dense_min": np.round(np.arange(0.40, 0.70 + 1e-9, 0.01), 3),
         "dense_min_paged": np.round(np.arange(0.30, 0.65 + 1e-9, 0.01), 3),
         "lexical_min": np.round(np.arange(0.10, 0.80 + 1e-9, 0.02), 3),
         "answers_min": np.round(np.arange(0.0, 0.70 + 1e-9, 0.02), 3)}


@dataclass
class Rows:
    """One row per query: its set, id and kind, whether it is unanswerable, and its decision features."""
    sets: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    negative: list[bool] = field(default_factory=list)
    dense: list[float] = field(default_factory=list)
    lexical: list[float] = field(default_factory=list)
    blocked: list[bool] = field(default_factory=list)   # unknown names, an answer type not given, no such document
    paged: list[bool] = field(default_factory=list)
    judge: list[float] = field(default_factory=list)    # NaN: not read (no judge, or it did not answer)
    seconds: list[float] = field(default_factory=list)  # the judge's time per reading

    def __len__(self) -> int:
        return len(self.ids)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(getattr(self, k)) for k in ("negative", "dense", "lexical", "blocked", "paged", "judge")}


def collect(rows: Rows, searcher, path: Path, judge=None) -> None:
    """Rank each query of the set once and add its features (and the judge's reading) to `rows`."""
    from check.judge import best_sentences
    from search.searcher import check_query
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        query = check_query(e["query"])
        ranking = searcher.rank(query)
        f = searcher.facts(ranking)
        p = float("nan")
        if judge is not None and ranking.order:
            started = time.perf_counter()
            read = judge.answers(best_sentences(searcher, ranking.order[0], query, ranking.scores["unit"]), query,
                                 timeout=None)
            rows.seconds.append(time.perf_counter() - started)
            p = float("nan") if read is None else read
        rows.sets.append(Path(path).stem)
        rows.ids.append(e.get("id", str(len(rows))))
        rows.kinds.append(e["kind"])
        rows.negative.append(e["kind"] == "unanswerable")
        rows.dense.append(f.dense)
        rows.lexical.append(f.lexical)
        rows.blocked.append(bool(f.unknown or f.not_given or f.no_document))
        rows.paged.append(f.paged)
        rows.judge.append(p)


def found(a: dict[str, np.ndarray], t: dict[str, float], judged: bool = False) -> np.ndarray:
    """search.decision.decide over every row at once (and the judge's bar, judged=True)."""
    dense_min = np.where(a["paged"], t["dense_min_paged"], t["dense_min"])
    out = (a["dense"] >= dense_min) & (a["lexical"] >= t["lexical_min"]) & ~a["blocked"]
    if judged:
        out &= np.isnan(a["judge"]) | (a["judge"] >= t["answers_min"])
    return out


def _best(candidates, a, train, current) -> dict[str, float]:
    """The candidate that flags the most unanswerable training rows while keeping KEEP of the answerable
    ones; ties: keeps more, then is nearer `current`."""
    pos, neg = train & ~a["negative"], train & a["negative"]
    best, best_key = current, None
    for t, is_found in candidates:
        kept = is_found[pos].sum() / max(1, pos.sum())
        if kept < KEEP:
            continue
        key = (int((~is_found[neg]).sum()), int(is_found[pos].sum()),
               -sum(abs(t[k] - current[k]) for k in t if k in current))
        if best_key is None or key > best_key:
            best, best_key = t, key
    return dict(best)


def fit(a: dict[str, np.ndarray], train: np.ndarray, current: dict[str, float], judged: bool) -> dict[str, float]:
    def thresholds():
        for dm in GRIDS["dense_min"]:
            for dmp in GRIDS["dense_min_paged"]:
                for lm in GRIDS["lexical_min"]:
                    t = {**current, "dense_min": float(dm), "dense_min_paged": float(dmp), "lexical_min": float(lm)}
                    yield t, found(a, t)
    t = _best(thresholds(), a, train, current)
    if judged:
        t = _best((({**t, "answers_min": float(x)}, found(a, {**t, "answers_min": float(x)}, True))
                   for x in GRIDS["answers_min"]), a, train, t)
    return t


def rates(a: dict[str, np.ndarray], is_found: np.ndarray, mask: np.ndarray) -> tuple[float, float, int, int]:
    pos, neg = mask & ~a["negative"], mask & a["negative"]
    return ((~is_found[neg]).sum() / max(1, neg.sum()), is_found[pos].sum() / max(1, pos.sum()),
            int(neg.sum()), int(pos.sum()))


def current_values() -> dict[str, float]:
    from check.judge import ANSWERS_MIN
    from search.decision import THRESHOLDS as T
    return {"dense_min": T.dense_min, "dense_min_paged": T.dense_min_paged, "lexical_min": T.lexical_min,
            "answers_min": ANSWERS_MIN}


def cross_validate(rows: Rows, k: int, seed: int = 0, judged: bool = False, printer=print) -> dict:
    a = rows.arrays()
    current = current_values()
    fold = folds(rows, k, seed)
    held = np.zeros(len(rows), dtype=bool)
    fitted = []
    for f in range(k):
        t = fit(a, fold != f, current, judged)
        fitted.append(t)
        held[fold == f] = found(a, t, judged)[fold == f]
    final = fit(a, np.ones(len(rows), dtype=bool), current, judged)
    now = found(a, current, judged)
    label = "with the judge" if judged else "without the judge"
    printer(f"found/not-found decision, {label}: {k}-fold cross-validation (seed {seed}), folds stratified by set "
            f"and kind; rule: flag the most unanswerable keeping >= {KEEP:.0%} of the answerable answered")
    printer(f"{'set':16s} {'unanswerable':>12s} {'today: flagged':>15s} {'kept':>6s}   {'held-out: flagged':>18s} "
            f"{'kept':>6s}")
    sets = list(dict.fromkeys(rows.sets))
    for name in [*sets, "all"]:
        mask = np.array([s == name or name == "all" for s in rows.sets])
        fl, kp, nn, npos = rates(a, now, mask)
        hfl, hkp, _, _ = rates(a, held, mask)
        printer(f"{name:16s} {nn:5d} of {nn + npos:4d} {fl:15.3f} {kp:6.3f}   {hfl:18.3f} {hkp:6.3f}")
    keys = [*THRESHOLDS, *(["answers_min"] if judged else [])]
    printer("today's values     " + " ".join(f"{k}={current[k]:g}" for k in keys))
    for f, t in enumerate(fitted):
        printer(f"fold {f + 1} fit         " + " ".join(f"{k}={t[k]:g}" for k in keys))
    printer("fit on all queries " + " ".join(f"{k}={final[k]:g}" for k in keys))
    if judged and rows.seconds:
        printer(f"judge: {len(rows.seconds)} readings, p50 {float(np.median(rows.seconds)):.2f} s, "
                f"max {max(rows.seconds):.2f} s")
    return {"fold": fold, "held": held, "fitted": fitted, "final": final}


def run(pairs: list[tuple[object, Path]], k: int, seed: int = 0, judge=None, printer=print) -> dict:
    rows = Rows()
    for searcher, path in pairs:
        collect(rows, searcher, path, judge)
    out = cross_validate(rows, k, seed, judged=False, printer=printer)
    if judge is not None:
        out = cross_validate(rows, k, seed, judged=True, printer=printer)
    return out
