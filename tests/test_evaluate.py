"""The evaluation command scores library sets exactly as the shared scorer does."""
from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import ROOT

SHARED = ROOT.parent / "shared" / "eval"


@pytest.mark.skipif(not (SHARED / "score_library.py").is_file(), reason="../shared/eval is not beside the repository")
def test_library_scores_equal_the_shared_scorer(tmp_path):
    from evaluation.evaluate import score_library
    spec = importlib.util.spec_from_file_location("score_library", SHARED / "score_library.py")
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    entries = [json.loads(line) for line in (SHARED / "library-dev.jsonl").read_text().splitlines() if line.strip()]
    # results: for every third query the gold passage at rank 1 on its page, every third at rank 3 on
    # another page, the rest a miss; unanswerable ones found or not in turn
    results = {}
    for n, e in enumerate(entries):
        g = (e["gold"] or [{"doc": "x/none.pdf", "page": 1, "text": "nothing"}])[0]
        hit = {"document": g["doc"].rsplit(".", 1)[0], "text": "… " + g["text"] + " …", "page": g["page"],
               "pages": [g["page"]]}
        miss = {"document": "ilacs/elsewhere", "text": "unrelated words", "page": 1}
        res = [hit] if n % 3 == 0 else [miss, miss, dict(hit, page=g["page"] + 1, pages=[g["page"] + 1])] \
            if n % 3 == 1 else [miss]
        results[e["id"]] = {"id": e["id"], "answer": {"found": n % 2 == 0}, "results": res}
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in results.values()))
    theirs = shared.score(str(SHARED / "library-dev.jsonl"), str(path), quiet=True)
    ours, _ = score_library(entries, {i: r["results"] for i, r in results.items()})
    for kind, row in ours.items():
        for metric in ("R@1", "R@5", "R@10", "MRR", "Page@1"):
            assert row[metric] == pytest.approx(theirs[kind][metric]), (kind, metric)
