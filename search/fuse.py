"""Fusing rankings. Every retriever gives an array of scores over the same passages."""
from __future__ import annotations

import numpy as np


def minmax(scores: np.ndarray) -> np.ndarray:
    lo, hi = float(scores.min()), float(scores.max())
    return np.zeros_like(scores) if hi - lo < 1e-9 else (scores - lo) / (hi - lo)


def scale_by_max(scores: np.ndarray) -> np.ndarray:
    hi = float(scores.max())
    return np.zeros_like(scores) if hi <= 0 else scores / hi


def convex(score_lists: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Weighted sum of scores; lexical scores should already be scaled to [0, 1]."""
    return sum(w * s for w, s in zip(weights, score_lists))


def rrf(score_lists: list[np.ndarray], weights: list[float], k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion: sum of w / (k + rank)."""
    out = np.zeros_like(score_lists[0], dtype=np.float64)
    for w, s in zip(weights, score_lists):
        ranks = np.empty(len(s), dtype=np.int64)
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
        out += w / (k + ranks)
    return out


FUSIONS = {"convex": convex, "rrf": rrf}


def fusion(name: str):
    try:
        return FUSIONS[name]
    except KeyError:
        raise ValueError(f"unknown fusion {name!r}; choose one of {sorted(FUSIONS)}") from None


def top_order(scores: np.ndarray, n: int) -> list[int]:
    """The indices of the n best finite scores, best first (ties in index order, as a stable sort)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) > n:
        cut = np.partition(scores[finite], len(finite) - n)[len(finite) - n]
        finite = finite[scores[finite] >= cut]
    return finite[np.argsort(-scores[finite], kind="stable")][:n].tolist()
