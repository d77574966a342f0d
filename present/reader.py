"""The document reader, and `Report`: the passages of the index in reading order, with what every
renderer needs to find a passage, its table and its neighbours, and to name the documents."""
from __future__ import annotations

import threading
from collections import OrderedDict

from markupsafe import Markup

from ingest.passage import Document, Passage, citation

from .common import Library, dom_id, full_citation, render, text_html
from .library import doc_facts, grades_line
from .tables import table_html

READER_CACHE = 6          # documents of a library kept rendered for the reader

BLOCK_CLASSES = {"quote": "rp rp-quote", "case-study": "rp rp-case", "practice-implications": "rp rp-practice",
                 "footnote": "rp rp-footnote", "title": "rp rp-title"}


class Report:
    """The passages of the index in document order, with what the renderer needs to find neighbours."""

    def __init__(self, passages: list[Passage], documents: dict[str, Document]):
        self.passages = passages
        self.documents = documents
        self.library = Library(documents)
        self.pos = {p.passage_id: i for i, p in enumerate(passages)}
        self.of_document: dict[str, list[int]] = {}     # document id -> its passages, in reading order
        for i, p in enumerate(passages):
            self.of_document.setdefault(p.document, []).append(i)
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
        self._readers: OrderedDict[str, Markup] = OrderedDict()     # a library's documents, recently read
        self._lock = threading.Lock()

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
                      footnotes=footnotes, page=p.page if ids else None, page_label=p.page_label or p.page)

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
        while j >= 0 and n < before and self.passages[j].document == p.document:
            q = self.passages[j]
            if q.kind not in skip:
                out_before.append(q)
                n += q.kind != "heading"
            j -= 1
        out_after, j, n = [], i + 1, 0
        while j < len(self.passages) and n < after and self.passages[j].document == p.document:
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

    def document_reader(self, doc_id: str) -> Markup | None:
        """One document of a library for the reader, rendered when first asked for; the last
        READER_CACHE documents read are kept. None for an unknown document."""
        if doc_id not in self.documents:
            return None
        with self._lock:
            if doc_id in self._readers:
                self._readers.move_to_end(doc_id)
                return self._readers[doc_id]
        html = self._render_reader([self.passages[i] for i in self.of_document.get(doc_id, [])],
                                   self.documents[doc_id], one=True)
        with self._lock:
            self._readers[doc_id] = html
            while len(self._readers) > READER_CACHE:
                self._readers.popitem(last=False)
        return html

    def _render_reader(self, passages: list[Passage] | None = None, first: Document | None = None,
                       one: bool = False) -> Markup:
        """The reader over `passages` (all of them by default): one document's own (`one`) has its
        facts in its head, and a page marker where each page of a paged document begins."""
        toc, body = [], []        # toc: (depth, target, text); body: ("doc", Document) | ("footnotes",) |
        shown: set[str] = set()   # ("page", document, n, label) | markup
        footnotes_started = False
        page = None
        passages = self.passages if passages is None else passages
        labels = {(p.document, p.page): p.page_label for p in passages if p.page is not None and p.page_label}
        last_text = max((n for n, p in enumerate(passages) if p.kind not in ("footnote", "table-row")), default=-1)
        for n, p in enumerate(passages):
            if p.document not in shown and p.document in self.documents:
                shown.add(p.document)
                body.append(("doc", self.documents[p.document]))
                page = None
            if p.kind == "table-row":
                continue
            if p.page is not None and p.kind != "footnote" and (page is None or p.page > page):
                page = p.page
                body.append(("page", dom_id(f"{p.document}/page-{p.page}"), p.page, p.page_label or p.page))
            if p.kind == "title":
                continue
            if p.kind == "heading":
                toc.append((min(len(p.section), 4), dom_id(p.passage_id), p.text.rstrip(":")))
            if p.kind == "footnote" and not footnotes_started and n > last_text:   # footnotes at the end
                footnotes_started = True
                body.append(("footnotes",))
                toc.append((1, "rp-footnotes", "Footnotes"))
            body.append(self.block(p, ids=True))
            for later in (p.pages[1:] if p.kind != "footnote" and page is not None else []):
                if later > page:            # a passage running onto the next pages: they go on after it
                    page = later
                    body.append(("page", dom_id(f"{p.document}/page-{page}"), page, labels.get((p.document, page), page)))
        if not shown and (first or self.documents):
            body.insert(0, ("doc", first or next(iter(self.documents.values()))))
        return render("reader.html", toc=toc, body=body, meta=document_meta, one=one, grades=grades_line,
                      facts=doc_facts, doc_id=first.id if first else None)


def document_meta(doc: Document) -> list[str]:
    """Publisher, date and reference of a document, for its head in the reader."""
    return [str(x) for x in (doc.publisher, doc.published or doc.year, doc.reference and f"reference {doc.reference}")
            if x]
