"""HTML for the web app: answers, result cards, quote checks and the report reader.

Every piece of document text, query text and citation goes through `esc` (html.escape with
quote=True) before it is placed in markup; nothing here emits <script> or inline handlers. The
page's one script (app_assets/app.js) acts on the data-copy / data-copy-url / data-goto
attributes written here. CSV and Markdown exports of results live here too, beside the HTML.
"""
from __future__ import annotations

import csv
import io
import re
from html import escape
from urllib.parse import urlencode

from ingest.passage import Document, Passage, citation

KIND_LABELS = {
    "paragraph": "Paragraph", "list": "List", "quote": "Quotation from a review",
    "case-study": "Case study", "practice-implications": "Practice implications",
    "table": "Table", "table-row": "Table row", "footnote": "Footnote", "heading": "Heading", "title": "Title",
}

VERDICTS = {   # verdict -> (badge, one line of explanation)
    "verbatim": ("Verbatim", "The text appears word for word in the report."),
    "near-verbatim": ("Near-verbatim", "The text matches the report apart from small differences, marked below."),
    "paraphrase": ("Paraphrase", "The report says something similar in different words; quote its own words instead."),
    "figures-differ": ("Figures differ", "The wording matches the report but at least one number does not; see below."),
    "not-found": ("Not found", "Nothing in the report closely matches this text."),
}


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def dom_id(passage_id: str) -> str:
    """A DOM id for a passage in the reader: 'rp-' plus the id with anything unusual hex-escaped."""
    return "rp-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}_", passage_id)


def relevance(score: float) -> tuple[str, int]:
    """A fused score (0-1, higher is better) in words a reader understands, and 1-3 bars."""
    if score >= 0.55:
        return "Strong match", 3
    if score >= 0.38:
        return "Good match", 2
    return "Weak match", 1


def section_path(section: list[str]) -> str:
    return " › ".join(section)


def full_citation(cite: str, label: str | None, section: list[str]) -> str:
    """'Ofsted (2011) Ages of concern, para 40 · Babies less than one year old › The contribution …'.
    A passage without a label already names its section in `cite`; it is not repeated."""
    if label and section:
        return f"{cite} · {section_path(section)}"
    return cite


def result_citation(r: dict) -> str:
    return full_citation(r["citation"], r.get("label"), r.get("section") or [])


# -- text with marks -------------------------------------------------------------------------------
def locate(text: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    """Where `needle` occurs in `text`, tolerating differences in whitespace."""
    words = needle.split()
    if not words:
        return None
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, start)
    return (m.start(), m.end()) if m else None


def highlight_spans(text: str, highlights: list[dict]) -> list[tuple[int, int]]:
    spans = []
    for h in highlights or []:
        found = locate(text, h.get("text") or "")
        if found:
            spans.append(found)
    return sorted(spans)


_PNUM = re.compile(r"^(\d{1,3})\.(?=\s)")
_TAGS = (("pnum", '<span class="pnum">', "</span>"), ("hl", "<mark>", "</mark>"),
         ("diff", '<span class="diff">', "</span>"), ("gap", '<span class="gap">', "</span>"))


def _runs(text: str, a: int, b: int, layers: dict[str, list[tuple[int, int]]]) -> str:
    """text[a:b] escaped, with each layer's spans wrapped in its tag (nested in a fixed order)."""
    flags = [0] * (b - a)
    for bit, (name, _, _) in enumerate(_TAGS):
        for s, e in layers.get(name, []):
            for i in range(max(s, a), min(e, b)):
                flags[i - a] |= 1 << bit
    out, i = [], a
    while i < b:
        j = i
        while j < b and flags[j - a] == flags[i - a]:
            j += 1
        f = flags[i - a]
        opened = [t for bit, t in enumerate(_TAGS) if f & (1 << bit)]
        out.append("".join(t[1] for t in opened) + esc(text[i:j]) + "".join(t[2] for t in reversed(opened)))
        i = j
    return "".join(out)


def text_html(text: str, marks: list[tuple[int, int]] = (), diffs: list[tuple[int, int]] = (),
              gaps: list[tuple[int, int]] = ()) -> str:
    """A passage's text as paragraphs and bullet lists ('· ' lines), marks wrapped in <mark>, the
    report's words where a checked text differs in .diff, words it left out in .gap."""
    layers = {"hl": list(marks), "diff": list(diffs), "gap": list(gaps)}
    m = _PNUM.match(text)
    if m:
        layers["pnum"] = [(0, m.end())]
    out, in_list, pos = [], False, 0
    for line in text.split("\n"):
        a, b = pos, pos + len(line)
        pos = b + 1
        if not line.strip():
            continue
        bullet = line.startswith("· ")
        if bullet and not in_list:
            out.append("<ul>")
        if not bullet and in_list:
            out.append("</ul>")
        in_list = bullet
        if bullet:
            out.append(f"<li>{_runs(text, a + 2, b, layers)}</li>")
        else:
            out.append(f"<p>{_runs(text, a, b, layers)}</p>")
    if in_list:
        out.append("</ul>")
    return "".join(out)


# -- tables ----------------------------------------------------------------------------------------
def table_columns(table: Passage) -> tuple[str, list[str]]:
    """(caption, column headings) of a table passage: 'Caption · columns: A | B | C'."""
    caption, sep, cols = table.text.partition(" · columns: ")
    return caption.strip(), [c.strip() for c in cols.split(" | ")] if sep else []


def row_cells(row: Passage, caption: str, columns: list[str]) -> tuple[list[str], list[str]] | None:
    """(headings, cells) of a table-row passage, or None when its text does not parse."""
    rest = row.text[len(caption) + 3:] if row.text.startswith(caption + " · ") else row.text
    found = []
    pos = 0
    for col in columns:
        i = rest.find(f"{col}: ", pos)
        if i >= 0:
            found.append((col, i))
            pos = i + len(col) + 2
    if not found:
        return None
    values = {}
    for n, (col, i) in enumerate(found):
        end = found[n + 1][1] if n + 1 < len(found) else len(rest)
        values[col] = rest[i + len(col) + 2:end].strip().rstrip(";·").strip()
    label = rest[:found[0][1]].strip().rstrip("·").strip()
    missing = [c for c in columns if c not in values]
    if not label and not missing:
        return columns, [values[c] for c in columns]
    if label and not missing:
        return ["", *columns], [label, *(values[c] for c in columns)]
    if label and missing == columns[:1]:
        return columns, [label, *(values[c] for c in columns[1:])]
    return None


def table_html(table: Passage, rows: list[Passage], marked: str | None = None, ids: bool = False) -> str:
    caption, columns = table_columns(table)
    parsed = [(r, row_cells(r, caption, columns)) for r in rows]
    attr = lambda p: f' id="{dom_id(p.passage_id)}"' if ids else ""  # noqa: E731
    head = f'<figure class="table"{attr(table)} data-pid="{esc(table.passage_id)}"><figcaption>{esc(caption)}</figcaption>'
    if not rows:
        return head + '<p class="note">The figures of this table are not in the text of the report.</p></figure>'
    headings = next((cells[0] for _, cells in parsed if cells), ["", *columns])
    out = [head, '<div class="table-scroll"><table><thead><tr>']
    out += [f'<th scope="col">{esc(h)}</th>' for h in headings]
    out.append("</tr></thead><tbody>")
    for r, cells in parsed:
        cls = ' class="is-cited"' if marked == r.passage_id else ""
        if cells is None:
            out.append(f'<tr{attr(r)}{cls}><td colspan="{len(headings)}">{esc(r.text)}</td></tr>')
            continue
        first, *others = cells[1]
        out.append(f'<tr{attr(r)}{cls} data-pid="{esc(r.passage_id)}"><th scope="row">{esc(first)}</th>'
                   + "".join(f"<td>{esc(c)}</td>" for c in others) + "</tr>")
    out.append("</tbody></table></div></figure>")
    return "".join(out)


# -- the report as a whole --------------------------------------------------------------------------
class Report:
    """The passages of the index in document order, with what the renderer needs to find neighbours."""

    def __init__(self, passages: list[Passage], documents: dict[str, Document]):
        self.passages = passages
        self.documents = documents
        self.pos = {p.passage_id: i for i, p in enumerate(passages)}
        self.table_of: dict[str, str] = {}          # table-row id -> table id
        self.rows: dict[str, list[Passage]] = {}     # table id -> its rows
        current = None
        for p in passages:
            if p.kind == "table":
                current = p.passage_id
                self.rows[current] = []
            elif p.kind == "table-row" and current:
                self.rows[current].append(p)
                self.table_of[p.passage_id] = current
            else:
                current = None
        self._reader: str | None = None

    def get(self, passage_id: str) -> Passage | None:
        i = self.pos.get(passage_id)
        return None if i is None else self.passages[i]

    def cite(self, p: Passage) -> str:
        return full_citation(citation(p, self.documents[p.document]), p.label, p.section)

    # -- blocks ----------------------------------------------------------------------------------
    def block(self, p: Passage, marks=(), current: bool = False, ids: bool = False) -> str:
        """One passage as it reads in the report (a heading, a paragraph, a quote, a case study…)."""
        ident = f' id="{dom_id(p.passage_id)}"' if ids else ""
        cur = " is-current" if current else ""
        if p.kind == "heading":
            level = min(6, 1 + max(1, len(p.section)))
            return f'<h{level} class="rh"{ident} data-pid="{esc(p.passage_id)}" tabindex="-1">{esc(p.text)}</h{level}>'
        if p.kind == "table":
            return table_html(p, self.rows.get(p.passage_id, []), ids=ids)
        cls = {"quote": "rp rp-quote", "case-study": "rp rp-case", "practice-implications": "rp rp-practice",
               "footnote": "rp rp-footnote", "title": "rp rp-title"}.get(p.kind, "rp")
        body = text_html(p.text, marks)
        if p.kind == "footnote" and p.label:
            body = f'<span class="fn-label">{esc(p.label.capitalize())}.</span> ' + body
        refs = ""
        if p.footnotes:
            links = [f'<a href="#" data-goto="{dom_id(f)}">{esc((self.get(f).label or f) if self.get(f) else f)}</a>'
                     for f in p.footnotes]
            refs = f'<p class="fnrefs">See {", ".join(links)}</p>'
        return f'<div class="{cls}{cur}"{ident} data-pid="{esc(p.passage_id)}" tabindex="-1">{body}{refs}</div>'

    def context(self, passage_id: str, before: int = 2, after: int = 2) -> str:
        """The passages around one, in reading order, the passage itself marked: for a table row,
        its whole table."""
        i = self.pos.get(passage_id)
        if i is None:
            return ""
        p = self.passages[i]
        if p.kind in ("table-row", "table"):
            table = self.get(self.table_of.get(passage_id, passage_id))
            return table_html(table, self.rows.get(table.passage_id, []), marked=passage_id) if table else ""
        skip = ("footnote", "title", "table-row")
        out_before, j, n = [], i - 1, 0
        while j >= 0 and n < before:
            q = self.passages[j]
            if q.kind not in skip:
                out_before.append(q)
                n += q.kind != "heading"
            j -= 1
        out_after, j, n = [], i + 1, 0
        while j < len(self.passages) and n < after:
            q = self.passages[j]
            if q.kind not in skip and q.kind != "table":
                out_after.append(q)
                n += q.kind != "heading"
            j += 1
        seq = [*reversed(out_before), p, *out_after]
        return "".join(self.block(q, current=q is p) for q in seq)

    # -- the reader ------------------------------------------------------------------------------
    def reader(self) -> str:
        if self._reader is None:
            self._reader = self._render_reader()
        return self._reader

    def _render_reader(self) -> str:
        toc, body = [], []
        doc = next(iter(self.documents.values()), None)
        if doc:
            meta = " · ".join(esc(x) for x in (doc.publisher, doc.published or doc.year, doc.reference and
                                                 f"reference {doc.reference}") if x)
            body.append(f'<header class="report-head"><h1>{esc(doc.title)}</h1>'
                        + (f'<p class="subtitle">{esc(doc.subtitle)}</p>' if doc.subtitle else "")
                        + f'<p class="meta">{meta}</p><p class="licence">{esc(doc.licence)}</p></header>')
        footnotes_started = False
        for p in self.passages:
            if p.kind == "title" or p.kind == "table-row":
                continue
            if p.kind == "heading":
                depth = len(p.section)
                toc.append(f'<li class="toc-{min(depth, 4)}"><a href="#" data-goto="{dom_id(p.passage_id)}">'
                           f'{esc(p.text.rstrip(":"))}</a></li>')
            if p.kind == "footnote" and not footnotes_started:
                footnotes_started = True
                body.append('<h2 class="rh" id="rp-footnotes" tabindex="-1">Footnotes</h2>')
                toc.append('<li class="toc-1"><a href="#" data-goto="rp-footnotes">Footnotes</a></li>')
            body.append(self.block(p, ids=True))
        return ('<div class="reader"><nav class="toc" aria-label="Contents"><details open><summary>Contents'
                '</summary><ol>' + "".join(toc) + '</ol></details></nav><article class="report" lang="en-GB">'
                + "".join(body) + "</article></div>")

    # -- search results --------------------------------------------------------------------------
    def search_html(self, out: dict, *, part_label: str | None = None, kind_label: str | None = None,
                    note: str | None = None, share: dict | None = None, stamp: int | None = None) -> str:
        query, answer, results = out["query"], out["answer"], out["results"]
        parts = [f'<div class="ar-results" data-query="{esc(query)}" data-found="{str(answer["found"]).lower()}" '
                 f'data-part="{esc(part_label or "")}" data-kind="{esc(kind_label or "")}" '
                 f'data-stamp="{esc(stamp if stamp is not None else "")}">']   # a new stamp: the page redraws
        if note:
            parts.append(f'<p class="notice">{esc(note)}</p>')
        parts.append(self.answer_html(out))
        filters = [x for x in (part_label, kind_label) if x]
        link = ""
        if share is not None:
            href = "?" + urlencode({k: v for k, v in share.items() if v})
            link = (f'<span class="share"><a class="permalink" href="{esc(href)}">Link to this search</a>'
                    f'<button type="button" class="mini" data-copy-url="{esc(href)}">Copy link</button></span>')
        if results:
            heading = "Passages" if answer["found"] else "Nearest passages"
            count = f'{len(results)} passage{"s" if len(results) != 1 else ""}'
            within = f' in {esc(" · ".join(filters))}' if filters else ""
            parts.append(f'<div class="results-head"><h2>{heading}</h2><p class="results-meta">{count}{within}'
                         f' for “<span class="q">{esc(query)}</span>”</p>{link}</div>')
            parts.extend(self.card(r, nearest=not answer["found"]) for r in results)
        else:
            parts.append('<p class="empty">No passages match these filters. Choose “Everything” or “All kinds” '
                         'to search the whole report.</p>')
        parts.append("</div>")
        return "".join(parts)

    def answer_html(self, out: dict) -> str:
        answer = out["answer"]
        notes = "".join(f"<li>{esc(n)}</li>" for n in out.get("glossary") or [])
        glossary = f'<details class="glossary"><summary>Terms in your question</summary><ul>{notes}</ul></details>' \
            if notes else ""
        if not answer["found"]:
            why = f'<p class="none-reason">{esc(answer["reason"])}</p>' if answer.get("reason") else ""
            return ('<section class="answer answer-none" aria-label="Answer"><p class="answer-label">No answer found'
                    f'</p><p class="none-text">The report does not appear to answer this.</p>{why}<p class="hint">The '
                    'passages below are the nearest ones in the report; read them as leads, not as an answer. '
                    'Try other words, or browse the report in the Read tab.</p>' + glossary + "</section>")
        top = next((r for r in out["results"] if r["passage_id"] == answer["passage_id"]), None)
        cite = result_citation(top) if top else answer["citation"]
        quote = answer["text"] or ""
        strength = "high" if answer["confidence"] >= 0.7 else "medium" if answer["confidence"] >= 0.45 else "low"
        goto = f'<button type="button" class="mini" data-goto="{dom_id(answer["passage_id"])}">Open in report</button>' \
            if answer["passage_id"] else ""
        return ('<section class="answer" aria-label="Answer"><p class="answer-label">Answer in the report’s own words'
                f' <span class="confidence conf-{strength}">{strength} confidence</span></p>'
                + self._answer_body(top, quote) +
                f'<p class="answer-cite">{esc(cite)}</p><div class="actions">'
                f'<button type="button" class="mini" data-copy="{esc(quote_with_citation(quote, cite))}">Copy quote'
                f'</button><button type="button" class="mini" data-copy="{esc(cite)}">Copy citation</button>{goto}'
                "</div>" + glossary + "</section>")

    def _answer_body(self, top: dict | None, quote: str) -> str:
        """The answer's words: a quotation, or for a table row the row as a small table."""
        if top and top["kind"] == "table-row":
            p = self.get(top["passage_id"])
            table = self.get(self.table_of.get(top["passage_id"], "")) if p else None
            if table:
                return f'<div class="answer-table">{table_html(table, [p])}</div>'
        return f'<blockquote class="answer-quote">{esc(quote)}</blockquote>'

    def card(self, r: dict, nearest: bool = False) -> str:
        p = self.get(r["passage_id"])
        text = r["text"]
        marks = highlight_spans(text, r.get("highlights") or [])
        word, bars = relevance(r["score"])
        cite = result_citation(r)
        kind = KIND_LABELS.get(r["kind"], r["kind"])
        where = short_where(r)
        quote = quote_text(text, r.get("highlights") or [])
        if r["kind"] == "table-row" and p is not None:
            table = self.get(self.table_of.get(p.passage_id, ""))
            body = table_html(table, [p], marked=p.passage_id) if table else text_html(text, marks)
        else:
            body = text_html(text, marks)
        context = self.context(r["passage_id"])
        ctx_label = "Show the whole table" if r["kind"] in ("table", "table-row") else "Show context"
        path = section_path(r.get("section") or [])
        tag = '<span class="tag-nearest">Nearest passage, not an answer</span>' if nearest else ""
        return (f'<article class="card{" card-nearest" if nearest else ""}" data-pid="{esc(r["passage_id"])}" '
                f'data-rank="{int(r["rank"])}">'
                f'<header class="card-head"><a href="#" class="cite" data-goto="{dom_id(r["passage_id"])}" '
                f'title="Open in the report">{esc(where)}</a><span class="kind">{esc(kind)}</span>'
                f'<span class="rel rel-{bars}" title="How closely this passage matches your question">'
                f'<span class="bars" aria-hidden="true"><i></i><i></i><i></i></span>{esc(word)}</span>{tag}</header>'
                + (f'<p class="path">{esc(path)}</p>' if path else "")
                + f'<div class="passage">{body}</div>'
                f'<p class="card-cite">{esc(cite)}</p><div class="actions">'
                f'<button type="button" class="mini" data-copy="{esc(cite)}">Copy citation</button>'
                f'<button type="button" class="mini" data-copy="{esc(quote_with_citation(quote, cite))}">Copy quote'
                f'</button><button type="button" class="mini" data-goto="{dom_id(r["passage_id"])}">Open in report</button></div>'
                + (f'<details class="context"><summary>{ctx_label}</summary><div class="context-body">{context}'
                   "</div></details>" if context else "")
                + "</article>")

    # -- quote checks ----------------------------------------------------------------------------
    def check_html(self, out: dict, note: str | None = None) -> str:
        verdict = out.get("verdict")
        parts = [f'<div class="ar-check" data-verdict="{esc(verdict or "")}">']
        if note:
            parts.append(f'<p class="notice">{esc(note)}</p>')
        if verdict in VERDICTS:
            badge, meaning = VERDICTS[verdict]
            line = out.get("explanation") or meaning
            parts.append(f'<section class="verdict verdict-{esc(verdict)}" aria-label="Verdict"><span class="badge" '
                         f'title="{esc(meaning)}">{esc(badge)}</span><span class="verdict-line">{esc(line)}</span>'
                         "</section>")
        matches = out.get("matches") or []
        if matches:
            heading = {"not-found": "Nearest passage (it does not say this)",
                       "paraphrase": "Closest passage: quote the report’s own words"}.get(verdict)
            if heading:
                parts.append(f'<h2 class="sub">{heading}</h2>')
            parts.append(self.match_html(matches[0], mark=verdict != "not-found"))
            if len(matches) > 1:
                parts.append('<details class="more"><summary>Other similar passages</summary>'
                             + "".join(self.card({**m, "rank": n}, nearest=verdict == "not-found")
                                       for n, m in enumerate(matches[1:], 2))
                             + "</details>")
        elif verdict is None:
            parts.append('<p class="empty">Nothing to show.</p>')
        parts.append("</div>")
        return "".join(parts)

    def match_html(self, m: dict, mark: bool = True) -> str:
        """The source passage of a check: the matched words marked, the report's words where the
        checked text differs underlined, words it left out dimmed; the differences listed."""
        text = m["text"]
        matched = m.get("match") or {}
        span = locate(text, matched.get("text") or "") if matched.get("text") else None
        marks = ([span] if span else highlight_spans(text, m.get("highlights") or [])) if mark else []
        diffs, gaps, items = [], [], []
        for d in m.get("differences") or []:
            where = self._diff_span(text, d, m)
            if where:
                (gaps if d.get("kind") == "elision" else diffs).append(where)
            items.append(difference_html(d))
        cite = result_citation(m)
        where = short_where(m)
        path = section_path(m.get("section") or [])
        quote = " ".join(matched["text"].split()) if matched.get("text") else quote_text(text, m.get("highlights") or [])
        copy_label = "Copy the report’s exact words" if matched.get("text") else "Copy quote"
        legend = " ".join(x for x, on in (("<mark>Marked</mark>: the words that match.", bool(marks)),
                                           ('<span class="diff">Underlined</span>: where your text differs.', bool(diffs)),
                                           ('<span class="gap">Struck through</span>: words your text leaves out.',
                                            bool(gaps))) if on)
        diff_list = (f'<div class="differences"><h3>Differences from the report</h3><ul>{"".join(items)}</ul>'
                     f'<p class="legend">{legend}</p></div>' if items else "")
        return (f'<article class="card match" data-pid="{esc(m["passage_id"])}"><header class="card-head">'
                f'<a href="#" class="cite" data-goto="{dom_id(m["passage_id"])}">{esc(where)}</a>'
                f'<span class="kind">{esc(KIND_LABELS.get(m.get("kind"), m.get("kind") or ""))}</span></header>'
                + (f'<p class="path">{esc(path)}</p>' if path else "") +
                f'<div class="passage">{text_html(text, marks, diffs, gaps)}</div>{diff_list}'
                f'<p class="card-cite">{esc(cite)}</p><div class="actions">'
                f'<button type="button" class="mini" data-copy="{esc(cite)}">Copy citation</button>'
                f'<button type="button" class="mini" data-copy="{esc(quote_with_citation(quote, cite))}">{copy_label}'
                f'</button><button type="button" class="mini" data-goto="{dom_id(m["passage_id"])}">'
                f'Open in report</button></div></article>')

    @staticmethod
    def _diff_span(text: str, d: dict, m: dict) -> tuple[int, int] | None:
        """Where a difference's report-side words sit in the passage text (offsets may be relative
        to the passage text or to the source file; the words decide)."""
        source = d.get("source") or ""
        if not source.strip() or source.strip() == "...":
            return None
        s, e = d.get("start_char"), d.get("end_char")
        if isinstance(s, int) and isinstance(e, int):
            for off in (0, m.get("start_char") or 0):
                a, b = s - off, e - off
                if 0 <= a < b <= len(text) and " ".join(text[a:b].split()) == " ".join(source.split()):
                    return a, b
            if m.get("kind") == "table-row":    # rendered text: the figures follow the row's last " · "
                return locate(text, source, max(0, text.rfind(" · "))) or locate(text, source)
            near = max(0, s - (m.get("start_char") or 0) - 40)
            found = locate(text, source, near) if near < len(text) else None
            if found:
                return found
        return locate(text, source)


def short_where(r: dict) -> str:
    """The short name of a result's place: 'para 40', 'Table 4 · Total', or for text without a number
    its section and the paragraph it follows: 'Practice implications (after para 17)'."""
    if r.get("label"):
        return r["label"]
    section = r.get("section") or []
    after = r.get("after_paragraph")
    if after is None:
        m = re.search(r"\(after para ([^)]+)\)$", r.get("citation") or "")
        after = m.group(1) if m else None
    name = section[-1] if section else "Front matter"
    return f"{name} (after para {after})" if after else name


def difference_html(d: dict) -> str:
    kind, op = d.get("kind") or "", d.get("op") or ""
    q, s = d.get("query") or "", d.get("source") or ""
    if kind == "elision" or q.strip() in ("...", "…"):
        return f'<li><span class="dk">Left out</span> “{esc(_short(s))}”</li>'
    if op == "insert" or not s.strip():
        return f'<li><span class="dk">Not in the report</span> your text adds “<ins>{esc(q)}</ins>”</li>'
    if op == "delete" or not q.strip():
        return f'<li><span class="dk">Missing</span> the report also says “<del>{esc(s)}</del>”</li>'
    label = {"spelling": "Spelling", "number": "Figure", "word": "Wording"}.get(kind, "Wording")
    return (f'<li><span class="dk">{esc(label)}</span> the report says “<strong>{esc(s)}</strong>”; '
            f'your text says “<del>{esc(q)}</del>”</li>')


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def quote_text(text: str, highlights: list[dict]) -> str:
    """The words to quote from a passage: its highlighted sentences in order ('…' between
    sentences that are not adjacent), else the whole passage."""
    spans = highlight_spans(text, highlights)
    if not spans:
        return " ".join(text.split())
    out, last = [], None
    for a, b in spans:
        piece = " ".join(text[a:b].split())
        if last is not None:
            gap = text[last:a]
            out.append(" " if not gap.strip() else " · " if not gap.replace("·", "").strip() else " … ")
        out.append(piece)
        last = b
    return "".join(out)


def quote_with_citation(quote: str, cite: str) -> str:
    return f"“{quote}” ({cite})"


# -- simple messages -------------------------------------------------------------------------------
def message(text: str, kind: str = "info", title: str | None = None) -> str:
    head = f"<strong>{esc(title)}</strong> " if title else ""
    return f'<div class="ar-message ar-{esc(kind)}" role="status">{head}{esc(text)}</div>'


def header(doc: Document | None) -> str:
    title, short = (doc.title, doc.short_title) if doc else ("the report", "The report")
    byline = f"{esc(doc.publisher)} ({esc(doc.year)}), " if doc else ""
    return (f'<header class="ar-header"><p class="ar-kicker">askreport</p><h1>{esc(short)}: search the report</h1>'
            f'<p class="ar-sub">{byline}<cite>{esc(title)}</cite>. Every answer is a passage in the report’s own '
            "words, with its paragraph number.</p></header>")


def label(text: str) -> str:
    return f'<span class="ex-label">{esc(text)}</span>'


def welcome() -> str:
    return ('<div class="ar-welcome"><p>Ask a question in your own words. The answer is always a passage from the '
            'report, quoted exactly, with its paragraph number so you can cite it.</p><p>Use the filters to keep to '
            'one part of the report or one kind of text, such as practice implications or case studies.</p></div>')


def check_welcome() -> str:
    return ('<div class="ar-welcome"><p>Paste a quotation or a claim you have seen attributed to the report. '
            'You will see whether the report says it word for word, nearly, in other words, or with different '
            'figures, and the paragraph it comes from.</p></div>')


# -- exports ---------------------------------------------------------------------------------------
CSV_FIELDS = ["rank", "citation", "section", "kind", "relevance", "score", "quote", "text", "passage_id"]


def results_csv(out: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in out["results"]:
        w.writerow([r["rank"], result_citation(r), section_path(r["section"]), KIND_LABELS.get(r["kind"], r["kind"]),
                    relevance(r["score"])[0], r["score"], quote_text(r["text"], r["highlights"]),
                    " ".join(r["text"].split()), r["passage_id"]])
    return buf.getvalue()


def results_markdown(out: dict) -> str:
    lines = [f"# Ages of concern: “{out['query']}”", ""]
    if not out["answer"]["found"]:
        lines += ["_The report does not appear to answer this; these are the nearest passages._", ""]
    for r in out["results"]:
        quote = quote_text(r["text"], r["highlights"]).replace("\n", " ")
        lines.append(f"{r['rank']}. > {quote}")
        lines.append(f"   — {result_citation(r)} ({KIND_LABELS.get(r['kind'], r['kind']).lower()}, "
                     f"{relevance(r['score'])[0].lower()})")
        lines.append("")
    model = out.get("model") or {}
    lines.append(f"_Found with askreport ({model.get('preset', '')} model {model.get('model_id', '')})._")
    return "\n".join(lines) + "\n"
