"""Which backend serves an index's dense and lexical scores: the one its manifest names (the
in-process FAISS/BM25 store by default, or Milvus). Kept apart from index/backends.py so that the
Milvus backend can build on the shared pieces there without an import cycle."""
from __future__ import annotations

from . import store
from .backends import STORES, Backend, LocalBackend, store_of


def open_backend(loaded: store.LoadedIndex) -> Backend:
    """The backend the index's manifest names; IndexLoadError when it cannot serve this index."""
    record = store_of(loaded.manifest)
    kind = record.get("store")
    if kind == "local":
        return LocalBackend(loaded)
    if kind == "milvus":
        from .milvus import MilvusBackend
        return MilvusBackend(loaded, record)
    raise store.IndexLoadError(f"the index names an unknown store {kind!r} (known: {', '.join(STORES)}); "
                               "run `askreport ingest` to rebuild it")
