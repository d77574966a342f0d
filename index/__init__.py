"""Indexing and retrieval: embed, store, BM25, fuse, search, check."""
