"""`askreport bench --scale`: how cost grows with the library, measured on this machine.

For each size (1, 10, 100 documents of the library, then all of it) it builds an index from
nothing, then in a fresh process loads it and runs the queries, and prints per size: ingest
time, units, index size on disk, resident memory of the serving process, search p50/p95 (and
with a document filter and a year filter), check p50 and the bare query encoding in the same run.
The documents of each size are a fixed, evenly spaced selection of the library's files, so a
rerun measures the same thing. `--full-index DIR` uses an index of the whole library already
built (its build time is read from its manifest, or given with --full-ingest-seconds when the index
was changed since) instead of building it again.
Writes docs/scale.json and docs/scale.png (the plot in the README).
"""
from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import config

SIZES = (1, 10, 100)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def pick(files: list[Path], n: int) -> list[Path]:
    """n files spread evenly over the sorted list (councils and years alike)."""
    if n >= len(files):
        return list(files)
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def disk_bytes(index_dir: Path) -> int:
    return sum(p.stat().st_size for p in (index_dir / "generations").rglob("*") if p.is_file())


def serve_measure(index_dir: Path, queries: list[str]) -> dict:
    """In this (fresh) process: load, warm up, time searches with and without filters, and checks."""
    from check.checker import check
    from index.models import encode_queries
    from search import Searcher
    from search.documents import Filters
    started = time.perf_counter()
    s = Searcher.open(index_dir)
    load_s = time.perf_counter() - started
    s.search("warm up")
    first_doc = next(iter(s.documents))
    years = sorted({d.year for d in s.documents.values() if d.year})
    runs = {"search": None, "search_document_filter": Filters(documents=[first_doc]),
            "search_year_filter": Filters(year_from=years[len(years) // 2]) if years else None}
    out = {"load_s": load_s, "passages": len(s.passages), "units": len(s.index.units)}
    encode = []
    for q in queries:
        t = time.perf_counter()
        encode_queries(s.model, [q])
        encode.append((time.perf_counter() - t) * 1000)
    out["encode_ms_p50"] = statistics.median(encode)
    for name, f in runs.items():
        times = []
        for q in queries:
            t = time.perf_counter()
            s.search(q, filters=f)
            times.append((time.perf_counter() - t) * 1000)
        out[f"{name}_ms_p50"], out[f"{name}_ms_p95"] = statistics.median(times), _pct(times, 0.95)
    times = []
    for q in queries[:20]:
        t = time.perf_counter()
        check(s, q)
        times.append((time.perf_counter() - t) * 1000)
    out["check_ms_p50"] = statistics.median(times)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_scale(library: Path, queries_path: Path, full_index: Path | None = None, sizes=SIZES,
              out_dir: Path = config.ROOT / "docs", printer=print, full_ingest_s: float | None = None) -> list[dict]:
    from index import store
    from index.build import build
    from ingest.library import SUPPORTED
    files = sorted(p for p in library.rglob("*") if p.suffix.lower() in SUPPORTED and p.is_file())
    queries = [json.loads(line)["query"] for line in queries_path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="askreport-scale-") as tmp:
        plan = [(n, None) for n in sizes if n < len(files)] + [(len(files), full_index)]
        for n, existing in plan:
            if existing is not None:
                index_dir, manifest = existing, store.load_index(existing).manifest
                ingest_s = full_ingest_s or manifest.get("build_seconds", float("nan"))
            else:
                index_dir = Path(tmp) / f"n{n}"
                t = time.perf_counter()
                build(None, index_dir, paths=pick(files, n), progress=False)
                ingest_s = time.perf_counter() - t
                manifest = store.load_index(index_dir).manifest
            measured = subprocess.run(
                [sys.executable, "-m", "evaluation.scale", "--serve", str(index_dir), str(queries_path)],
                check=True, capture_output=True, text=True, cwd=config.ROOT)
            row = {"files": n, "documents": len(manifest["documents"]), "ingest_s": ingest_s,
                   "disk_mb": disk_bytes(index_dir) / 2**20, **json.loads(measured.stdout.strip().splitlines()[-1])}
            rows.append(row)
            printer(format_row(row))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    plot(rows, out_dir / "scale.png")
    return rows


def format_row(r: dict) -> str:
    return (f"{r['documents']:>4} docs {r['units']:>6} units  ingest {r['ingest_s']:7.1f} s  disk {r['disk_mb']:6.1f} MB  "
            f"RSS {r['rss_mb']:6.0f} MB  load {r['load_s']:5.1f} s  search p50/p95 {r['search_ms_p50']:5.1f}/"
            f"{r['search_ms_p95']:5.1f} ms (doc filter {r['search_document_filter_ms_p50']:5.1f}, year filter "
            f"{r['search_year_filter_ms_p50']:5.1f})  check p50 {r['check_ms_p50']:6.1f} ms  "
            f"encode p50 {r['encode_ms_p50']:5.1f} ms")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    docs = [r["documents"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for key, label in (("search_ms_p50", "search p50"), ("search_ms_p95", "search p95"),
                       ("check_ms_p50", "check p50"), ("encode_ms_p50", "query encoding p50")):
        a.plot(docs, [r[key] for r in rows], marker="o", label=label)
    a.set_xscale("log")
    a.set_xlabel("documents")
    a.set_ylabel("ms per query")
    a.legend(fontsize=8)
    a.set_title("Per-query cost")
    b.plot(docs, [r["ingest_s"] / 60 for r in rows], marker="o", label="ingest (min)")
    b.plot(docs, [r["rss_mb"] / 1024 for r in rows], marker="o", label="serving RSS (GB)")
    b.plot(docs, [r["disk_mb"] / 1024 for r in rows], marker="o", label="index on disk (GB)")
    b.set_xscale("log")
    b.set_xlabel("documents")
    b.legend(fontsize=8)
    b.set_title("Build and footprint")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":        # the measuring child: python -m evaluation.scale --serve INDEX QUERIES
    if sys.argv[1:2] == ["--serve"]:
        qs = [json.loads(line)["query"] for line in Path(sys.argv[3]).read_text(encoding="utf-8").splitlines()
              if line.strip()]
        print(json.dumps(serve_measure(Path(sys.argv[2]), qs)))
