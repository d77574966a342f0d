"""Exact inner-product search over normalised vectors with FAISS (index type is a setting)."""
from __future__ import annotations

import faiss
import numpy as np

INDEX_TYPES = ("flat-ip", "hnsw")


def build_faiss(vectors: np.ndarray, index_type: str = "flat-ip") -> faiss.Index:
    if index_type == "flat-ip":
        index = faiss.IndexFlatIP(vectors.shape[1])
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    else:
        raise ValueError(f"unknown index type {index_type!r}; choose one of {INDEX_TYPES}")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Top-k (unit id, similarity); FAISS pads with -1 when k exceeds the index: dropped."""
    k = max(0, min(k, index.ntotal))
    if k == 0:
        return []
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and np.isfinite(s)]


def all_scores(index: faiss.Index, query: np.ndarray, n: int) -> np.ndarray:
    """Similarity of every unit (units beyond the top are scored too: exact search at this size)."""
    out = np.full(n, -1.0, dtype=np.float32)
    for i, s in search(index, query, n):
        out[i] = s
    return out
