"""The Ask tab's results: the answer in the document's own words, then one card per passage."""
from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import Markup

from .common import (dom_id, get, highlight_spans, quote_text, quote_with_citation, relevance, render,
                     result_citation, section_path, short_where, text_html)
from .reader import Report
from .tables import table_html


def search_html(report: Report, out, *, part_label: str | None = None, kind_label: str | None = None,
                note: str | None = None, share: dict | None = None, stamp: int | None = None) -> Markup:
    """A SearchResult (or its JSON) as the Ask tab shows it. A new `stamp` makes the page redraw."""
    answer, results = get(out, "answer"), get(out, "results") or []
    found = bool(get(answer, "found"))
    href = "?" + urlencode({k: v for k, v in share.items() if v}) if share is not None else None
    return render("results.html", lib=report.library, query=get(out, "query"), found=found, part_label=part_label,
                  kind_label=kind_label, note=note, href=href, stamp=stamp,
                  filters=" · ".join(x for x in (part_label, kind_label) if x),
                  answer=answer_html(report, out), results=results,
                  cards=[card(report, r, nearest=not found) for r in results])


def answer_html(report: Report, out) -> Markup:
    answer, results = get(out, "answer"), get(out, "results") or []
    glossary = get(out, "glossary") or []
    if not get(answer, "found"):
        return render("answer.html", lib=report.library, found=False, reason=get(answer, "reason"),
                      glossary=glossary)
    top = next((r for r in results if get(r, "passage_id") == get(answer, "passage_id")), None)
    cite = result_citation(top) if top else get(answer, "citation")
    quote = get(answer, "text") or ""
    confidence = get(answer, "confidence")
    strength = "high" if confidence >= 0.7 else "medium" if confidence >= 0.45 else "low"
    return render("answer.html", lib=report.library, found=True, strength=strength, body=_answer_table(report, top),
                  quote=quote, cite=cite, copy=quote_with_citation(quote, cite), glossary=glossary,
                  goto=dom_id(get(answer, "passage_id")) if get(answer, "passage_id") else None)


def _answer_table(report: Report, top) -> Markup | None:
    """For a table row, the answer's words as a small table (else None: a quotation)."""
    if top is not None and get(top, "kind") == "table-row":
        p = report.get(get(top, "passage_id"))
        table = report.table_for(p.passage_id) if p else None
        if table:
            return table_html(table, [p])
    return None


def card(report: Report, r, nearest: bool = False, rank: int | None = None) -> Markup:
    """One passage of a ranking: where it is, how well it matches, its text with the best sentences
    marked, its citation, copy buttons and its context. `rank` overrides the result's own."""
    pid, kind, text = get(r, "passage_id"), get(r, "kind"), get(r, "text")
    p = report.get(pid)
    highlights = get(r, "highlights") or []
    marks = highlight_spans(text, highlights)
    word, bars = relevance(get(r, "score"))
    cite = result_citation(r)
    if kind == "table-row" and p is not None:
        table = report.table_for(p.passage_id)
        body = table_html(table, [p], marked=p.passage_id) if table else text_html(text, marks)
    else:
        body = text_html(text, marks)
    return render("card.html", pid=pid, rank=int(rank if rank is not None else get(r, "rank")), goto=dom_id(pid),
                  where=short_where(r, p), kind=report.library.kind(kind, get(r, "document")), word=word, bars=bars,
                  nearest=nearest, path=section_path(get(r, "section") or []), body=body, cite=cite,
                  copy=quote_with_citation(quote_text(text, highlights), cite), context=report.context(pid),
                  context_label="Show the whole table" if kind in ("table", "table-row") else "Show context")
