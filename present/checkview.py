"""The check view: a quote or claim's verdict, its source passage with the differences marked and listed,
and the other similar passages."""
from __future__ import annotations

from markupsafe import Markup

from check.judge import STATES_MIN

from .cards import card
from .common import (Library, dom_id, get, highlight_spans, locate, quote_text, quote_with_citation, render,
                     result_citation, section_path, short, short_where, text_html)
from .reader import Report


def verdicts(lib: Library) -> dict[str, tuple[str, str]]:
    """verdict -> (badge, one line of explanation), naming the documents as the UI does."""
    return {
        "verbatim": ("Verbatim", f"The text appears word for word in {lib.noun}."),
        "near-verbatim": ("Near-verbatim", f"The text matches {lib.noun} apart from small differences, marked below."),
        "paraphrase": ("Paraphrase", f"{lib.Noun} {lib.verb('says', 'say')} something similar in different words; "
                                     f"quote {lib.its} own words instead."),
        "figures-differ": ("Figures differ", f"The wording matches {lib.noun} but at least one number does not; "
                                             "see below."),
        "not-found": ("Not found", f"Nothing in {lib.noun} closely matches this text."),
    }


def check_html(report: Report, out, note: str | None = None, judging: str | None = None) -> Markup:
    """A CheckResult (or its JSON) as the check tab shows it; judging="pending" while the local judge reads
    the closest passage."""
    verdict = get(out, "verdict")
    badge, meaning = verdicts(report.library).get(verdict, (None, None))
    matches = get(out, "matches") or []
    judge = get(out, "judge")
    if verdict == "not-found" and (get(out, "adds") or (judge is not None and judge < STATES_MIN)):
        badge, meaning = "Not stated", "The closest passage is about this but does not state it: read it below."
    return render("check.html", verdict=verdict, note=note, badge=badge, meaning=meaning, judging=judging,
                  line=get(out, "explanation") or meaning,
                  heading={"not-found": "Nearest passage (it does not say this)" if badge != "Not stated" else
                           "Closest passage (it does not state this)",
                           "paraphrase": "Closest passage: quote its own words"}.get(verdict),
                  first=match_html(report, matches[0], mark=verdict != "not-found") if matches else None,
                  others=[card(report, m, nearest=verdict == "not-found", rank=n)
                          for n, m in enumerate(matches[1:], 2)])


def match_html(report: Report, m, mark: bool = True) -> Markup:
    """The source passage of a check: the matched words marked, the source's words where the
    checked text differs underlined, words it left out dimmed; the differences listed."""
    pid, text = get(m, "passage_id"), get(m, "text")
    matched = get(m, "match")
    matched_text = get(matched, "text") if matched is not None else None
    highlights = get(m, "highlights") or []
    span = locate(text, matched_text) if matched_text else None
    marks = ([span] if span else highlight_spans(text, highlights)) if mark else []
    diffs, gaps, items = [], [], []
    for d in get(m, "differences") or []:
        where = diff_span(text, d, m, report.get(pid))
        if where:
            (gaps if d.get("kind") == "elision" else diffs).append(where)
        items.append(difference(d))
    cite = result_citation(m)
    quote = " ".join(matched_text.split()) if matched_text else quote_text(text, highlights)
    return render("match.html", pid=pid, goto=dom_id(pid), where=short_where(m, report.get(pid)),
                  kind=report.library.kind(get(m, "kind"), get(m, "document")),
                  path=section_path(get(m, "section") or []), body=text_html(text, marks, diffs, gaps),
                  items=items, legend=[k for k, on in (("marks", marks), ("diffs", diffs), ("gaps", gaps)) if on],
                  cite=cite, copy=quote_with_citation(quote, cite),
                  copy_label="Copy the exact words" if matched_text else "Copy quote")


def difference(d: dict) -> dict:
    """One difference for the list under the source passage: what kind, and the words on each side."""
    kind, op = d.get("kind") or "", d.get("op") or ""
    q, s = d.get("query") or "", d.get("source") or ""
    if kind == "elision" or q.strip() in ("...", "…"):
        return {"how": "left-out", "source": short(s)}
    if op == "insert" or not s.strip():
        return {"how": "added", "query": q}
    if op == "delete" or not q.strip():
        return {"how": "missing", "source": s}
    label = {"spelling": "Spelling", "number": "Figure", "word": "Wording"}.get(kind, "Wording")
    return {"how": "changed", "label": label, "query": q, "source": s}


def diff_span(text: str, d: dict, m, passage=None) -> tuple[int, int] | None:
    """Where a difference's source-side words sit in the passage text (offsets may be relative
    to the passage text or to the source file; the words decide). `passage`: the matched passage,
    whose fields say where a table row's figures begin."""
    source = d.get("source") or ""
    if not source.strip() or source.strip() == "...":
        return None
    s, e = d.get("start_char"), d.get("end_char")
    if isinstance(s, int) and isinstance(e, int):
        start = get(m, "start_char") or 0
        for off in (0, start):
            a, b = s - off, e - off
            if 0 <= a < b <= len(text) and " ".join(text[a:b].split()) == " ".join(source.split()):
                return a, b
        if figures := _figures_start(text, passage):    # a table row's rendered text: figures follow its label
            return locate(text, source, figures) or locate(text, source)
        near = max(0, s - start - 40)
        found = locate(text, source, near) if near < len(text) else None
        if found:
            return found
    return locate(text, source)


def _figures_start(text: str, passage) -> int | None:
    """Where a table row's figures begin in its text: after its caption and its own label."""
    if passage is None or passage.kind != "table-row" or not passage.row_label:
        return None
    at = text.find(passage.row_label, len(passage.caption or ""))
    return at + len(passage.row_label) if at >= 0 else None
