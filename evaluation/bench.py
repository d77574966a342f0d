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


def run_bench(corpus_dir: Path, index_dir: Path, queries_path: Path, printer=print, store: str = "local",
              milvus_uri: str | None = None) -> dict:
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
        engine = _engine_bench(corpus_dir, Path(tmp), searcher, queries, milvus_uri) if store == "milvus" else None
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
    if engine is not None:
        out["milvus"] = engine
        local = engine["local"]
        printer(f"\n{'':38} {'local':>16} {'milvus':>16}   (milvus: {engine['uri']})")
        printer(f"{'ingest (vectors reused)':38} {'':>16} {engine['ingest_s']:>14.1f} s")
        printer(f"{'index + model load':38} {load_s:>14.2f} s {engine['load_s']:>14.2f} s")
        for key, label in (("retrieve", "retrieval only (dense + BM25)"), ("search", "search in-process")):
            printer(f"{label + ', p50 / p95':38} {local[key + '_p50']:>6.1f} / {local[key + '_p95']:>5.1f} ms "
                    f"{engine[key + '_p50']:>6.1f} / {engine[key + '_p95']:>5.1f} ms")
        printer(f"same top-10 (ids and order) on {engine['same_top10']} of {len(queries)} queries")
    return out


def _engine_bench(corpus_dir: Path, tmp: Path, local, queries: list[str], milvus_uri: str | None) -> dict:
    """The same documents on Milvus (the local index's vectors reused: only the push is timed), then
    both searchers over the same queries, side by side."""
    import shutil
    from index.build import build
    from search import Searcher
    shutil.copytree(tmp / "index", tmp / "milvus")
    uri = milvus_uri or str(tmp / "milvus.db")
    t = time.perf_counter()
    build(corpus_dir, tmp / "milvus", progress=False, engine="milvus", milvus_uri=uri)
    ingest_s = time.perf_counter() - t
    t = time.perf_counter()
    engine = Searcher.open(tmp / "milvus")
    load_s = time.perf_counter() - t
    timings = {}
    for name, s in (("local", local), ("milvus", engine)):
        s.search("warm up", k=10)
        retrieve, search, tops = [], [], []
        for q in queries:
            vector = s.encode(q)
            t = time.perf_counter()
            s.backend.dense_scores(vector)
            s.lexical(s.doc_index.without_names(q))
            retrieve.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            tops.append([h.passage_id for h in s.search(q, k=10).results])
            search.append((time.perf_counter() - t) * 1000)
        timings[name] = {"retrieve_p50": statistics.median(retrieve), "retrieve_p95": _pct(retrieve, 0.95),
                         "search_p50": statistics.median(search), "search_p95": _pct(search, 0.95), "tops": tops}
    same = sum(a == b for a, b in zip(timings["local"].pop("tops"), timings["milvus"].pop("tops")))
    engine.backend.close()
    if uri.endswith(".db"):                 # Milvus Lite runs in this process: stop it before its folder goes
        from milvus_lite.server_manager import server_manager_instance
        server_manager_instance.release_server(uri)
    return {**timings["milvus"], "local": timings["local"], "uri": uri, "ingest_s": ingest_s, "load_s": load_s,
            "same_top10": same}
