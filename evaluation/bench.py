"""`askreport bench`: the timings that matter on this machine, measured in one run."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_bench(corpus_dir: Path, index_dir: Path, queries_path: Path, printer=print) -> dict:
    from index.build import build
    from index.models import encode_queries
    from search import Searcher

    queries = [json.loads(line)["query"] for line in queries_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        build(corpus_dir, Path(tmp) / "index", progress=False)
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        searcher = Searcher.open(Path(tmp) / "index")
        load_s = time.perf_counter() - t
    searcher.search("warm up", k=10)
    encode_ms, search_ms = [], []
    for q in queries:
        t = time.perf_counter()
        encode_queries(searcher.model, [q])
        encode_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        searcher.search(q, k=10)
        search_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "--index-dir", str(index_dir), "--corpus", str(corpus_dir),
                    "search", queries[0], "--json"], check=True, capture_output=True,
                   cwd=Path(__file__).resolve().parent.parent)
    cli_s = time.perf_counter() - t
    out = {"ingest_s": ingest_s, "load_s": load_s,
           "encode_ms_p50": statistics.median(encode_ms), "search_ms_p50": statistics.median(search_ms),
           "search_ms_p95": _pct(search_ms, 0.95), "cli_one_shot_s": cli_s, "queries": len(queries)}
    printer(f"ingest (fresh, {searcher.info.name} model): {ingest_s:.1f} s")
    printer(f"index + model load:                {load_s:.2f} s")
    printer(f"bare query encoding (floor), p50:  {out['encode_ms_p50']:.1f} ms")
    printer(f"search in-process, p50 / p95:      {out['search_ms_p50']:.1f} / {out['search_ms_p95']:.1f} ms "
            f"over {len(queries)} queries ({out['search_ms_p50'] / out['encode_ms_p50']:.1f}x the floor)")
    printer(f"one-shot CLI search:               {cli_s:.1f} s")
    return out
