"""Re-measure the found/not-found decision (search.decision) on development sets.

    python -m evaluation.calibrate DEV.jsonl [CHECK.jsonl] [--index-dir DIR]

dev: kind `unanswerable` should be not found, every other kind found; check: `not-found` against
the rest. Prints each query's features, sorted by dense similarity, and the trade-off.
"""
from __future__ import annotations

import json
import sys

from search.decision import THRESHOLDS, Thresholds, decide


def measure(searcher, dev_path, check_path=None, t: Thresholds = THRESHOLDS) -> dict:
    rows = []
    for path, key in ((dev_path, "kind"), (check_path, "expect")):
        if not path:
            continue
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            e = json.loads(line)
            ranking = searcher.rank(" ".join(e["query"].split()))
            f = searcher.facts(ranking)
            rows.append({"id": e.get("id"), "set": key, "negative": e[key] in ("unanswerable", "not-found"),
                         "kind": e[key], **f.to_dict(), "found": decide(f, t, claim=key == "expect")[0]})
    dev = [r for r in rows if r["set"] == "kind"]
    neg, pos = [r for r in dev if r["negative"]], [r for r in dev if not r["negative"]]
    return {"rows": rows,
            "unanswerable_flagged": sum(not r["found"] for r in neg) / max(1, len(neg)),
            "answerable_kept": sum(r["found"] for r in pos) / max(1, len(pos))}


def main(argv: list[str]) -> None:
    import config
    from search import open_or_build
    paths = [a for a in argv if not a.startswith("--")]
    index = argv[argv.index("--index-dir") + 1] if "--index-dir" in argv else None
    if index in paths:
        paths.remove(index)
    out = measure(open_or_build(config.corpus_dir(), config.index_dir(index)), *paths[:2])
    for r in sorted(out["rows"], key=lambda r: r["dense"]):
        print(f"{r['id']:6s} {r['kind']:14s} dense={r['dense']:.3f} lexical={r['lexical']:.3f} "
              f"found={r['found']} {' '.join(r['unknown'] + r['not_given'])}"
              f"{'  <-- wrong' if r['found'] == r['negative'] else ''}")
    print(f"unanswerable flagged {out['unanswerable_flagged']:.3f}, answerable kept {out['answerable_kept']:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
