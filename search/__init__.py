"""Query -> ranking -> answer: the searcher, fusion, glossary, answer types and the found/not-found decision."""
from __future__ import annotations

import sys
from pathlib import Path

from .searcher import MAX_QUERY_CHARS, QueryError, Ranking, Searcher, check_query  # noqa: F401


def open_or_build(corpus_dir: Path, index_dir: Path, progress: bool = True) -> Searcher:
    """The searcher over the committed index in `index_dir`, building it from `corpus_dir` first
    (with the default model) when there is none yet. The one way cli.py and app.py open an index."""
    from index import store
    if not store.exists(index_dir):
        from index.build import build
        print("askreport: no index yet; building it first", file=sys.stderr, flush=True)
        summary = build(corpus_dir, index_dir, progress=progress)
        for doc_id, reason in summary.skipped:
            print(f"askreport: skipped {doc_id}: {reason}", file=sys.stderr)
    return Searcher.open(index_dir)
