"""The Ask tab's results: the answer in the document's own words, then one card per passage."""
from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import Markup

from .common import (dom_id, get, highlight_spans, quote_text, quote_with_citation, relevance, render,
                     result_citation, section_path, short_where, text_html)
from .library import doc_name, overall
from .reader import Report
from .tables import table_html


def search_html(report: Report, out, *, part_label: str | None = None, kind_label: str | None = None,
                note: str | None = None, share: dict | None = None, stamp: int | None = None,
                library_labels: list[str] | None = None, documents: list[str] | None = None,
                judging: str | None = None) -> Markup:
    """A SearchResult (or its JSON) as the Ask tab shows it. A new `stamp` makes the page redraw.
    judging: "pending" while the local judge reads the answer, "timeout" when it did not finish in time.
    In a library: `library_labels` name the library filters in use (documents, type, years…),
    `documents` the ids the document filter allows; grouped results (`groups`) show one card per document."""
    answer, results = get(out, "answer"), get(out, "results") or []
    found = bool(get(answer, "found"))
    href = "?" + urlencode({k: v for k, v in share.items() if v}) if share is not None else None
    groups = {get(g, "document"): g for g in get(out, "groups") or []} if get(out, "groups") is not None else None
    return render("results.html", lib=report.library, query=get(out, "query"), found=found, part_label=part_label,
                  kind_label=kind_label, note=note, href=href, stamp=stamp,
                  filters=" · ".join(x for x in (part_label, kind_label, *(library_labels or [])) if x),
                  answer=answer_html(report, out, judging), results=results, grouped=groups is not None,
                  pool=next((get(g, "pool") for g in (groups or {}).values()), 0),
                  documents=",".join(documents or []),
                  cards=[card(report, r, nearest=not found,
                              group=groups.get(get(r, "document")) if groups is not None else None)
                         for r in results])


def answer_html(report: Report, out, judging: str | None = None) -> Markup:
    answer, results = get(out, "answer"), get(out, "results") or []
    glossary = get(out, "glossary") or []
    judge = get(answer, "judge")
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
                  judging=judging, judge=judge,
                  goto=dom_id(get(answer, "passage_id")) if get(answer, "passage_id") else None,
                  open=get(answer, "passage_id") if report.library.plural else None)


def _answer_table(report: Report, top) -> Markup | None:
    """For a table row, the answer's words as a small table (else None: a quotation)."""
    if top is not None and get(top, "kind") == "table-row":
        p = report.get(get(top, "passage_id"))
        table = report.table_for(p.passage_id) if p else None
        if table:
            return table_html(table, [p])
    return None


def card(report: Report, r, nearest: bool = False, rank: int | None = None, group=None) -> Markup:
    """One passage of a ranking: where it is, how well it matches, its text with the best sentences
    marked, its citation, copy buttons and its context. `rank` overrides the result's own. In a library
    the card also names its document (and in grouped results, `group`: how many of the best passages
    are that document's); a passage of a paged document shows its page."""
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
    lib = report.library
    doc = lib.documents.get(get(r, "document") or "") if lib.plural else None
    page = get(r, "page_label") or get(r, "page")
    return render("card.html", pid=pid, rank=int(rank if rank is not None else get(r, "rank")), goto=dom_id(pid),
                  doc=doc, doc_name=doc_name(doc) if doc else None, grade=overall(doc) if doc else None,
                  page=page, page_number=get(r, "page"), group=group,
                  where=short_where(r, p), kind=report.library.kind(kind, get(r, "document")), word=word, bars=bars,
                  nearest=nearest, path=section_path(get(r, "section") or []), body=body, cite=cite,
                  copy=quote_with_citation(quote_text(text, highlights), cite), context=report.context(pid),
                  context_label="Show the whole table" if kind in ("table", "table-row") else "Show context")
