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
                    skip_invalid=args.skip_invalid, progress=not args.quiet, paths=paths)
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
        print(f"{r.get('status', 'refused'):<8} {r.get('path') or r.get('id')}: {r.get('reason')}")
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
        run_batch(items, lambda query: searcher.search(query, k=args.k, filters=filters(args), group=args.group))
        return
    if args.query is None:
        raise CLIError("give a QUERY or --batch FILE", 2)
    try:
        check_query(args.query)
    except QueryError as e:
        raise CLIError(str(e), 2) from None
    out = open_searcher(args).search(args.query, k=args.k, filters=filters(args), group=args.group)
    if args.json:
        print(json.dumps(out.to_json(), ensure_ascii=False, indent=1))
    else:
        from present.text import search_text
        print(search_text(out))


def filters(args):
    from search.documents import Filters
    return Filters(documents=args.document or None, publisher=args.publisher, doc_type=args.type,
                   year_from=args.year_from, year_to=args.year_to, grade=args.grade)


def cmd_passages(args) -> None:
    from ingest.pipeline import ingest_corpus
    passages = ingest_corpus(corpus_dir(args)).passages
    for p in passages:
        if (args.kind and p.kind != args.kind) or (args.paragraph and p.paragraph != args.paragraph):
            continue
        if args.json:
            print(json.dumps(p.to_dict(), ensure_ascii=False))
        else:
            first = p.text.splitlines()[0] if p.text else ""
            print(f"{p.passage_id}\t{p.kind}\t{p.label or ' › '.join(p.section)}\t{first[:90]}")


def cmd_show(args) -> None:
    from ingest.catalog import load_catalog
    from ingest.passage import citation
    from ingest.pipeline import ingest_corpus
    passages = ingest_corpus(corpus_dir(args)).passages
    ids = [p.passage_id for p in passages]
    if args.passage_id not in ids:
        raise CLIError(f"no passage {args.passage_id!r}; list them with `askreport passages`", 2)
    docs = {d.id: d for d in load_catalog(corpus_dir(args))}
    i = ids.index(args.passage_id)
    p = passages[i]
    print(citation(p, docs[p.document]))
    print(" › ".join(p.section))
    print(f"[{p.kind}] chars {p.start_char}-{p.end_char} of {p.source}")
    print()
    print(p.text)
    if p.footnotes:
        print("\nfootnotes: " + ", ".join(p.footnotes))
    print("\nbefore: " + (ids[i - 1] if i > 0 else "-") + "\nafter:  " + (ids[i + 1] if i + 1 < len(ids) else "-"))


def cmd_eval(args) -> None:
    from evaluation.evaluate import run_eval
    run_eval(open_searcher(args), Path(args.file), k=args.k, results_path=args.results)


def cmd_check(args) -> None:
    from check.checker import check
    if args.batch:
        items = read_batch(args.batch)
        searcher = open_searcher(args)
        run_batch(items, lambda text: check(searcher, text))
        return
    if args.text is None:
        raise CLIError("give TEXT or --batch FILE", 2)
    out = check(open_searcher(args), args.text)
    if args.json:
        print(json.dumps(out.to_json(), ensure_ascii=False, indent=1))
    else:
        from present.text import check_text
        print(check_text(out))


def cmd_bench(args) -> None:
    from evaluation.bench import run_bench
    run_bench(corpus_dir(args), index_dir(args), Path(args.queries))


# -- parsing -------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="askreport", description="Search a report; every answer a cited passage.")
    ap.add_argument("--corpus", help="corpus folder (default: ./corpus, or $ASKREPORT_CORPUS)")
    ap.add_argument("--index-dir", help="index folder (default: ./data/index, or $ASKREPORT_INDEX_DIR)")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add documents: PDF, Word or text files and folders (default: the corpus)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders (recursively) to add or update; none: the corpus folder's catalogue")
    p.add_argument("--model", default=None, help="model preset: fast (default) or accurate")
    p.add_argument("--index-type", default="flat-ip", help="FAISS index type: flat-ip (default, exact) or hnsw")
    p.add_argument("--skip-invalid", action="store_true", help="build without documents that cannot be read")
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
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("check", help="check a quote or claim against the report")
    p.add_argument("text", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", metavar="FILE")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("passages", help="list the passages ingestion produces")
    p.add_argument("--json", action="store_true")
    p.add_argument("--kind")
    p.add_argument("--paragraph")
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("show", help="print one passage with its citation and neighbours")
    p.add_argument("passage_id")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("eval", help="R@1/5/10, MRR@10, S@1 on a query set")
    p.add_argument("file")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--results", help="also write the results JSONL here")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="ingest time, load time, query latency")
    p.add_argument("--queries", default=str(config.ROOT.parent / "shared" / "eval" / "dev.jsonl"))
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
