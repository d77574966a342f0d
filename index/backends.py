"""Where search's two retrieval signals come from: this process (FAISS/BLAS + bm25s, the default) or
a search engine (Milvus, index.milvus). Either way passages, spans, citations and texts stay in the
manifest-checked store (index.store); the engine only holds units, vectors and searchable text.
Fusion, highlights, the found/not-found decision and checking stay in search/ and check/ and see
the same arrays whichever backend fills them:

    dense_scores(vector)  -> per unit,    the cosine similarity, -1 where not returned
    lexical_scores(text)  -> per passage, the BM25 score,         0 where not returned

`document_ids` (optional) restricts what an engine returns to those documents (a filter pushed
down, so a small document is not crowded out of the engine's top-k); the local backend scores
everything and lets search's mask do the filtering.

The manifest says which backend serves an index: no "store" entry (every index built before this
existed) is the local one; {"store": "milvus", ...} names the engine, its URI and collections.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
import Stemmer

from ingest.passage import Passage
from . import store
from .dense import DenseIndex
from .lexical import BM25Index
from .units import context

STORES = ("local", "milvus")


class EngineError(store.IndexLoadError):
    """The search engine cannot serve the index (unreachable, or holding another index); one line."""


class Backend(Protocol):
    name: str
    pushdown: bool           # does it use document_ids (else it scores every document)?
    terms: "Terms"           # the lexical tokenizer (stemmed, stop words out): highlights and table rows use it

    def dense_scores(self, vector: np.ndarray, document_ids: list[str] | None = None) -> np.ndarray: ...

    def lexical_scores(self, text: str, document_ids: list[str] | None = None) -> np.ndarray: ...

    def close(self) -> None: ...


def lexical_text(p: Passage) -> str:
    """What BM25 indexes for a passage: its heading path, then its text."""
    return f"{context(p)} {p.text}"


class Terms:
    """BM25Index's tokenizer without an index behind it (an engine holds the postings)."""
    tokenize = BM25Index.tokenize

    def __init__(self):
        self._stemmer = Stemmer.Stemmer("english")


class LocalBackend:
    """Today's in-process retrieval: exact (or HNSW) dense scores and bm25s."""
    name = "local"
    pushdown = False

    def __init__(self, loaded: store.LoadedIndex):
        self.dense = DenseIndex(loaded.vectors, loaded.manifest.get("index_type", "flat-ip"))
        self.bm25 = BM25Index([lexical_text(p) for p in loaded.passages])
        self.terms = self.bm25

    def dense_scores(self, vector: np.ndarray, document_ids: list[str] | None = None) -> np.ndarray:
        return self.dense.scores(vector)

    def lexical_scores(self, text: str, document_ids: list[str] | None = None) -> np.ndarray:
        return self.bm25.scores(text)

    def close(self) -> None:
        pass


def store_of(manifest: dict) -> dict:
    """The manifest's store record ({"store": "local"} for an index that has none)."""
    record = manifest.get("store")
    return record if isinstance(record, dict) else {"store": "local"}

