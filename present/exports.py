"""Downloads of a search: the results as CSV, the quotes with their citations as Markdown."""
from __future__ import annotations

import csv
import io

from .common import Library, get, quote_text, relevance, result_citation, section_path

CSV_FIELDS = ["rank", "citation", "section", "kind", "relevance", "score", "quote", "text", "passage_id",
              "document", "page", "page_label", "document_passages"]


def document_title(out, r, lib: Library) -> str:
    """The title of a result's document: from the search's own `documents`, else the library's."""
    doc_id = get(r, "document") or ""
    meta = (get(out, "documents") or {}).get(doc_id) or {}
    doc = lib.documents.get(doc_id)
    return meta.get("title") or (doc.title if doc else doc_id)


def group_counts(out) -> dict[str, int]:
    """Grouped results: document id -> how many of the best passages are its own."""
    return {get(g, "document"): get(g, "passages") for g in get(out, "groups") or []}


def results_csv(out, lib: Library | None = None) -> str:
    """A SearchResult (or its JSON) as CSV, one row per passage."""
    lib = lib or Library()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    counts = group_counts(out)
    for r in get(out, "results") or []:
        text, highlights = get(r, "text"), get(r, "highlights") or []
        page = get(r, "page")
        w.writerow([get(r, "rank"), result_citation(r), section_path(get(r, "section")),
                    lib.kind(get(r, "kind"), get(r, "document")), relevance(get(r, "score"))[0], get(r, "score"),
                    quote_text(text, highlights), " ".join(text.split()), get(r, "passage_id"),
                    document_title(out, r, lib), "" if page is None else page, get(r, "page_label") or "",
                    counts.get(get(r, "document"), "")])
    return buf.getvalue()


def results_markdown(out, lib: Library | None = None) -> str:
    """A SearchResult (or its JSON) as Markdown: the quotes, each with its citation (which names the page
    of a paged document); for grouped results, how many of the best passages are each document's."""
    lib = lib or Library()
    lines = [f"# {lib.title}: “{get(out, 'query')}”", ""]
    counts = group_counts(out)
    if not get(get(out, "answer"), "found"):
        lines += [f"_{lib.Noun} {lib.verb('does', 'do')} not appear to answer this; these are the nearest passages._",
                  ""]
    for r in get(out, "results") or []:
        quote = quote_text(get(r, "text"), get(r, "highlights") or []).replace("\n", " ")
        lines.append(f"{get(r, 'rank')}. > {quote}")
        lines.append(f"   — {result_citation(r)} ({lib.kind(get(r, 'kind'), get(r, 'document')).lower()}, "
                     f"{relevance(get(r, 'score'))[0].lower()})")
        if get(r, "document") in counts:
            n = counts[get(r, "document")]
            lines.append(f"   — {n} of the best passages {'are' if n != 1 else 'is'} in *{document_title(out, r, lib)}*")
        lines.append("")
    model = get(out, "model") or {}
    lines.append(f"_Found with askreport ({model.get('preset', '')} model {model.get('model_id', '')})._")
    return "\n".join(lines) + "\n"
