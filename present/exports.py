"""Downloads of a search: the results as CSV, the quotes with their citations as Markdown."""
from __future__ import annotations

import csv
import io

from .common import Library, get, quote_text, relevance, result_citation, section_path

CSV_FIELDS = ["rank", "citation", "section", "kind", "relevance", "score", "quote", "text", "passage_id"]


def results_csv(out, lib: Library | None = None) -> str:
    """A SearchResult (or its JSON) as CSV, one row per passage."""
    lib = lib or Library()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in get(out, "results") or []:
        text, highlights = get(r, "text"), get(r, "highlights") or []
        w.writerow([get(r, "rank"), result_citation(r), section_path(get(r, "section")),
                    lib.kind(get(r, "kind"), get(r, "document")), relevance(get(r, "score"))[0], get(r, "score"),
                    quote_text(text, highlights), " ".join(text.split()), get(r, "passage_id")])
    return buf.getvalue()


def results_markdown(out, lib: Library | None = None) -> str:
    """A SearchResult (or its JSON) as Markdown: the quotes, each with its citation."""
    lib = lib or Library()
    lines = [f"# {lib.title}: “{get(out, 'query')}”", ""]
    if not get(get(out, "answer"), "found"):
        lines += [f"_{lib.Noun} {lib.verb('does', 'do')} not appear to answer this; these are the nearest passages._",
                  ""]
    for r in get(out, "results") or []:
        quote = quote_text(get(r, "text"), get(r, "highlights") or []).replace("\n", " ")
        lines.append(f"{get(r, 'rank')}. > {quote}")
        lines.append(f"   — {result_citation(r)} ({lib.kind(get(r, 'kind'), get(r, 'document')).lower()}, "
                     f"{relevance(get(r, 'score'))[0].lower()})")
        lines.append("")
    model = get(out, "model") or {}
    lines.append(f"_Found with askreport ({model.get('preset', '')} model {model.get('model_id', '')})._")
    return "\n".join(lines) + "\n"
