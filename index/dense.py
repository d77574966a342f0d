"""Dense similarity of a query to every embedded unit: exact (one BLAS matrix-vector product over the
float32 vectors) or approximate (a FAISS HNSW graph, past the size where exact scoring stops being
cheap: only the APPROX_K nearest units are scored, the rest get -1)."""
from __future__ import annotations

import faiss
import numpy as np

INDEX_TYPES = ("flat-ip", "hnsw")


def build_faiss(vectors: np.ndarray, index_type: str = "flat-ip") -> faiss.Index:
    if index_type == "flat-ip":
        index = faiss.IndexFlatIP(vectors.shape[1])
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200          # FAISS's default 40 builds a graph that misses true nearest units
        index.hnsw.efSearch = 256
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


def all_scores(index: faiss.Index, query: np.ndarray, n: int, k: int | None = None) -> np.ndarray:
    """Similarity of the k nearest units (all n when k is None); -1 for the rest."""
    out = np.full(n, -1.0, dtype=np.float32)
    for i, s in search(index, query, n if k is None else k):
        out[i] = s
    return out


APPROX_K = 2000


class DenseIndex:
    def __init__(self, vectors: np.ndarray, index_type: str = "flat-ip"):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index_type = index_type
        self.faiss = None if index_type == "flat-ip" else build_faiss(self.vectors, index_type)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Every unit's similarity to `query` (-1 where not scored, or for a query that is not finite)."""
        query = np.asarray(query, dtype=np.float32)
        if not np.all(np.isfinite(query)):
            return np.full(len(self.vectors), -1.0, dtype=np.float32)
        if self.faiss is None:
            return self.vectors @ query
        return all_scores(self.faiss, query, len(self.vectors), APPROX_K)
