"""`askreport eval`: run a query set through search and score it with the shared hit rule.

The hit rule mirrors ../shared/eval/score.py: a result is a hit when its normalised text
contains a normalised gold string, or its span overlaps a place where a gold string occurs;
S@1 asks whether the top result's first highlight overlaps the gold.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

_MAP = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00b7", " "), ("\u2013", "-"),
        ("\u2014", "-"))


def norm(s: str) -> str:
    s = s.lower()
    for a, b in _MAP:
        s = s.replace(a, b)
    return re.sub(r"\s+", " ", s).strip()


def gold_spans(report: str, gold: list[str]) -> list[tuple[int, int]]:
    out, idx, prev_space = [], [], True
    for i, ch in enumerate(report.lower()):
        for a, b in _MAP:
            if ch == a:
                ch = b
        if ch.isspace():
            if prev_space:
                continue
            ch, prev_space = " ", True
        else:
            prev_space = False
        out.append(ch)
        idx.append(i)
    text, spans = "".join(out), []
    for g in gold:
        ng, start = norm(g), 0
        while ng and (p := text.find(ng, start)) >= 0:
            spans.append((idx[p], idx[p + len(ng) - 1] + 1))
            start = p + 1
    return spans


def _overlaps(s: int, e: int, spans) -> bool:
    return any(s < b and a < e for a, b in spans)


def is_hit(result: dict, gold_norm: list[str], spans) -> bool:
    if any(g in norm(result.get("text", "")) for g in gold_norm):
        return True
    return _overlaps(result["start_char"], result["end_char"], spans.get(result.get("document"), ()))


def score(entries: list[dict], results: dict[str, list[dict]], texts: dict[str, str]) -> tuple[dict, dict]:
    """texts: document id -> the text its offsets point into (a gold string may occur in any)."""
    by, ranks = {}, {}
    for e in entries:
        if e["kind"] == "unanswerable":
            continue
        res = results.get(e["id"], [])[:10]
        gold_norm = [norm(g) for g in e["gold"]]
        spans = {doc: gold_spans(text, e["gold"]) for doc, text in texts.items()}
        rank = next((i for i, r in enumerate(res, 1) if is_hit(r, gold_norm, spans)), None)
        s1 = None
        if res and res[0].get("highlights"):
            h = res[0]["highlights"][0]
            s1 = _overlaps(h["start_char"], h["end_char"], spans.get(res[0].get("document"), ()))
        ranks[e["id"]] = rank
        for key in ("all", e["kind"]):
            b = by.setdefault(key, {"n": 0, "r1": 0, "r5": 0, "r10": 0, "mrr": 0.0, "s1": 0, "sn": 0})
            b["n"] += 1
            if rank:
                b["r1"] += rank == 1
                b["r5"] += rank <= 5
                b["r10"] += rank <= 10
                b["mrr"] += 1 / rank
            if s1 is not None:
                b["sn"] += 1
                b["s1"] += bool(s1)
    table = {k: {"n": b["n"], "R@1": b["r1"] / b["n"], "R@5": b["r5"] / b["n"], "R@10": b["r10"] / b["n"],
                 "MRR": b["mrr"] / b["n"], "S@1": b["s1"] / b["sn"] if b["sn"] else None} for k, b in by.items()}
    return table, ranks


def abstention(entries: list[dict], answers: dict[str, dict]) -> dict:
    unanswerable = [e for e in entries if e["kind"] == "unanswerable"]
    answerable = [e for e in entries if e["kind"] != "unanswerable"]
    flagged = sum(not answers[e["id"]]["found"] for e in unanswerable)
    kept = sum(answers[e["id"]]["found"] for e in answerable)
    return {"unanswerable_flagged": flagged / len(unanswerable) if unanswerable else None,
            "answerable_kept": kept / len(answerable) if answerable else None}


def run_eval(searcher, path: Path, k: int = 10, results_path: str | None = None,
             printer=print, judge=None) -> tuple[dict, dict]:
    """judge: a check.judge.Judge; each answer is then read by it (search.judged), as `search --judge`."""
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    outs, seconds = {}, []
    for e in entries:
        result = searcher.search(e["query"], k=k)
        if judge is not None:
            from search.judged import judge_answer
            started = time.perf_counter()
            judged = judge_answer(searcher, result, judge=judge, timeout=None)
            if judged.answer.judge is not None:
                seconds.append(time.perf_counter() - started)
            result = judged
        outs[e["id"]] = result.to_json()
    if results_path:
        with open(results_path, "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps({"id": e["id"], **outs[e["id"]]}, ensure_ascii=False) + "\n")
    results = {i: o["results"] for i, o in outs.items()}
    library = any(isinstance(g, dict) for e in entries for g in e.get("gold") or [])
    table, ranks = score_library(entries, results) if library else score(entries, results, searcher.index.texts)
    for key in ["all"] + sorted(x for x in table if x != "all"):
        s = table[key]
        extra = "".join(f" {m}={s[m]:.3f}" for m in ("S@1", "Page@1") if s.get(m) is not None)
        printer(f"{key:13s} n={s['n']:3d} R@1={s['R@1']:.3f} R@5={s['R@5']:.3f} R@10={s['R@10']:.3f} "
                f"MRR={s['MRR']:.3f}{extra}")
    if seconds:
        printer(f"judge         {len(seconds)} answers read, p50 {statistics.median(seconds):.2f} s, "
                f"max {max(seconds):.2f} s")
    abst = abstention(entries, {i: o["answer"] for i, o in outs.items()})
    if abst["unanswerable_flagged"] is not None:
        printer(f"abstention    unanswerable flagged not-found={abst['unanswerable_flagged']:.3f} "
                f"answerable kept found={abst['answerable_kept']:.3f}")
    return table, ranks


# -- the library sets (gold: {"doc", "page", "text"}), as ../shared/eval/score_library.py scores them ----
def _norm_library(s: str) -> str:
    s = s.replace("\u00ad", "").replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"') \
         .replace("\u201d", '"')
    s = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", s)
    return re.sub(r"\s+", " ", s.replace("\ufffe", "").replace("\x02", "")).strip().lower()


def library_hit(result: dict, gold: dict) -> bool:
    names = " ".join(str(result.get(k) or "") for k in ("source", "document"))
    stem = gold["doc"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return (gold["doc"] in names or stem in names) and _norm_library(gold["text"]) in _norm_library(result.get("text", ""))


def score_library(entries: list[dict], results: dict[str, list[dict]]) -> tuple[dict, dict]:
    """R@1/5/10, MRR@10 and Page@1 (of all answerable queries: the top result is a hit on the gold page)."""
    by, ranks = {}, {}
    for e in entries:
        if e["kind"] == "unanswerable":
            continue
        res = results.get(e["id"], [])[:10]
        rank, page1 = None, False
        for n, r in enumerate(res, 1):
            hits = [g for g in e["gold"] if library_hit(r, g)]
            if hits:
                rank = n
                pages = r.get("pages") or ([r["page"]] if r.get("page") is not None else [])
                page1 = n == 1 and any(g["page"] in pages for g in hits)
                break
        ranks[e["id"]] = rank
        for key in ("all", e["kind"]):
            b = by.setdefault(key, {"n": 0, "r1": 0, "r5": 0, "r10": 0, "mrr": 0.0, "page1": 0})
            b["n"] += 1
            if rank:
                b["r1"] += rank == 1
                b["r5"] += rank <= 5
                b["r10"] += 1
                b["mrr"] += 1 / rank
                b["page1"] += page1
    table = {k: {"n": b["n"], "R@1": b["r1"] / b["n"], "R@5": b["r5"] / b["n"], "R@10": b["r10"] / b["n"],
                 "MRR": b["mrr"] / b["n"], "Page@1": b["page1"] / b["n"]} for k, b in by.items()}
    return table, ranks
