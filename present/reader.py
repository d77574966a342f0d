"""The document reader, and `Report`: the passages of the index in reading order, with what every
renderer needs to find a passage, its table and its neighbours, and to name the documents."""
from __future__ import annotations

from markupsafe import Markup

from ingest.passage import Document, Passage, citation

from .common import Library, dom_id, full_citation, render, text_html
from .tables import table_html

BLOCK_CLASSES = {"quote": "rp rp-quote", "case-study": "rp rp-case", "practice-implications": "rp rp-practice",
                 "footnote": "rp rp-footnote", "title": "rp rp-title"}


class Report:
    """The passages of the index in document order, with what the renderer needs to find neighbours."""

    def __init__(self, passages: list[Passage], documents: dict[str, Document]):
        self.passages = passages
        self.documents = documents
        self.library = Library(documents)
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
        self._reader: Markup | None = None

    def get(self, passage_id: str | None) -> Passage | None:
        i = self.pos.get(passage_id)
        return None if i is None else self.passages[i]

    def table_for(self, passage_id: str) -> Passage | None:
        """The table a table-row passage belongs to."""
        return self.get(self.table_of.get(passage_id, ""))

    def cite(self, p: Passage) -> str:
        return full_citation(citation(p, self.documents[p.document]), p.label, p.section)

    # -- blocks ----------------------------------------------------------------------------------
    def block(self, p: Passage, marks=(), current: bool = False, ids: bool = False) -> Markup:
        """One passage as it reads in the document (a heading, a paragraph, a quote, a case study…)."""
        if p.kind == "table":
            return table_html(p, self.rows.get(p.passage_id, []), ids=ids)
        footnotes = [(dom_id(f), (self.get(f).label or f) if self.get(f) else f) for f in p.footnotes]
        return render("block.html", p=p, ids=ids, current=current, dom_id=dom_id(p.passage_id),
                      level=min(6, 1 + max(1, len(p.section))), cls=BLOCK_CLASSES.get(p.kind, "rp"),
                      body=text_html(p.text, marks) if p.kind != "heading" else None,
                      fn_label=p.label.capitalize() if p.kind == "footnote" and p.label else None,
                      footnotes=footnotes)

    def context(self, passage_id: str, before: int = 2, after: int = 2) -> Markup:
        """The passages around one, in reading order, the passage itself marked: for a table row,
        its whole table."""
        i = self.pos.get(passage_id)
        if i is None:
            return Markup("")
        p = self.passages[i]
        if p.kind in ("table-row", "table"):
            table = self.get(self.table_of.get(passage_id, passage_id))
            return table_html(table, self.rows.get(table.passage_id, []), marked=passage_id) if table else Markup("")
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
        return Markup("").join(self.block(q, current=q is p) for q in seq)

    # -- the reader ------------------------------------------------------------------------------
    def reader(self) -> Markup:
        if self._reader is None:
            self._reader = self._render_reader()
        return self._reader

    def _render_reader(self) -> Markup:
        toc, body = [], []        # toc: (depth, target, text); body: ("doc", Document) | ("footnotes",) | markup
        shown: set[str] = set()
        footnotes_started = False
        for p in self.passages:
            if p.document not in shown and p.document in self.documents:
                shown.add(p.document)
                body.append(("doc", self.documents[p.document]))
            if p.kind == "title" or p.kind == "table-row":
                continue
            if p.kind == "heading":
                toc.append((min(len(p.section), 4), dom_id(p.passage_id), p.text.rstrip(":")))
            if p.kind == "footnote" and not footnotes_started:
                footnotes_started = True
                body.append(("footnotes",))
                toc.append((1, "rp-footnotes", "Footnotes"))
            body.append(self.block(p, ids=True))
        if not shown and self.documents:
            body.insert(0, ("doc", next(iter(self.documents.values()))))
        return render("reader.html", toc=toc, body=body, meta=document_meta)


def document_meta(doc: Document) -> list[str]:
    """Publisher, date and reference of a document, for its head in the reader."""
    return [str(x) for x in (doc.publisher, doc.published or doc.year, doc.reference and f"reference {doc.reference}")
            if x]
