"""What every HTML renderer shares: the Jinja2 environment, naming the documents in the UI, and the small
helpers that turn a result into words (its place, citation, relevance, quotable words).

Renderers take the typed results of search/results.py (SearchResult, Hit, CheckResult, Span) or their JSON
(`to_json()` dicts): templates read fields by attribute, which Jinja resolves on both, and Python code here
reads them through `get`.

Escaping: the environment autoescapes, and its `finalize` escapes every `{{ value }}` that is not already
markup with `html.escape(quote=True)` (so `"` is `&quot;`, `'` is `&#x27;`, None is empty). Document text,
queries and citations therefore reach the page only as text; no template emits <script> or inline handlers.
The page's one script (assets/app.js) acts on the data-copy / data-copy-url / data-goto attributes.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from jinja2.ext import Extension
from markupsafe import Markup

from ingest.passage import Document, Passage, place

TEMPLATES = Path(__file__).resolve().parent / "templates"

KIND_LABELS = {   # generic names of passage kinds; a document's outline may override them ([kind_labels])
    "paragraph": "Paragraph", "list": "List", "quote": "Quotation",
    "case-study": "Case study", "practice-implications": "Practice implications",
    "table": "Table", "table-row": "Table row", "footnote": "Footnote", "heading": "Heading", "title": "Title",
}


# -- templates ---------------------------------------------------------------------------------------
class Spaceless(Extension):
    """Templates are written one element a line, indented; the page gets them joined: a line break and
    the indentation after it are dropped. (Tags never span lines; a space that matters is written
    on the line it belongs to.)"""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _finalize(value):
    return value if hasattr(value, "__html__") else Markup(esc(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, extensions=[Spaceless],
                       finalize=_finalize, keep_trailing_newline=False, auto_reload=False)


def render(template: str, **context) -> Markup:
    """A template rendered to markup (safe to place inside another template as is)."""
    return Markup(environment().get_template(template).render(**context))


# -- reading results ---------------------------------------------------------------------------------
def get(obj, name: str, default=None):
    """A field of a typed result or of its JSON dict."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


# -- naming the documents ------------------------------------------------------------------------------
class Library:
    """How the UI names what is searched: one document by its own short title and as "the document",
    several as "the documents". Also each document's names for passage kinds."""

    def __init__(self, documents: dict[str, Document] | None = None):
        self.documents = dict(documents or {})
        self.plural = len(self.documents) > 1     # none known: spoken of as one document
        self.single = next(iter(self.documents.values())) if len(self.documents) == 1 else None
        self.title = self.single.short_title if self.single else "askreport"   # headings, page title, exports
        self.noun = "the documents" if self.plural else "the document"
        self.Noun = self.noun[:1].upper() + self.noun[1:]
        self.it, self.its = ("them", "their") if self.plural else ("it", "its")
        self.whose = "the documents’" if self.plural else "the document’s"

    def verb(self, singular: str, plural: str) -> str:
        """The verb that agrees with `noun`: verb("does", "do")."""
        return plural if self.plural else singular

    def kind(self, kind: str | None, document: str | None = None) -> str:
        doc = self.documents.get(document or "")
        labels = getattr(doc, "kind_labels", None) or {}
        return labels.get(kind) or KIND_LABELS.get(kind, kind or "")


# -- places and citations ------------------------------------------------------------------------------
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
    return " › ".join(section or [])


def full_citation(cite: str, label: str | None, section: list[str]) -> str:
    """The citation and, for a passage with a label ("para 40"), its section path after a " · ".
    A passage without a label already names its section in `cite`; it is not repeated."""
    if label and section:
        return f"{cite} · {section_path(section)}"
    return cite


def result_citation(r) -> str:
    return full_citation(get(r, "citation"), get(r, "label"), get(r, "section") or [])


def short_where(r, passage: Passage | None = None) -> str:
    """The short name of a result's place: its label ('para 40', 'Table 4 · Total'), or for text without
    one its innermost section and the numbered paragraph it follows (the passage's own fields)."""
    if passage is not None:
        where = place(passage, short=True)
        return where if passage.label or passage.section else where[:1].upper() + where[1:]
    if get(r, "label"):
        return get(r, "label")
    section = get(r, "section") or []
    return section[-1] if section else "Front matter"


# -- text with marks -------------------------------------------------------------------------------
def locate(text: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    """Where `needle` occurs in `text`, tolerating differences in whitespace."""
    words = needle.split()
    if not words:
        return None
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, start)
    return (m.start(), m.end()) if m else None


def highlight_spans(text: str, highlights) -> list[tuple[int, int]]:
    spans = []
    for h in highlights or []:
        found = locate(text, get(h, "text") or "")
        if found:
            spans.append(found)
    return sorted(spans)


def quote_text(text: str, highlights) -> str:
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


def short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


_PNUM = re.compile(r"^(\d{1,3})\.(?=\s)")
_LAYERS = ("pnum", "hl", "diff", "gap")      # nesting order, outermost first


def _runs(text: str, a: int, b: int, layers: dict[str, list[tuple[int, int]]]) -> list[tuple[tuple[str, ...], str]]:
    """text[a:b] cut where the set of layers covering it changes: (layers, text) pieces."""
    flags = [0] * (b - a)
    for bit, name in enumerate(_LAYERS):
        for s, e in layers.get(name, []):
            for i in range(max(s, a), min(e, b)):
                flags[i - a] |= 1 << bit
    out, i = [], a
    while i < b:
        j = i
        while j < b and flags[j - a] == flags[i - a]:
            j += 1
        f = flags[i - a]
        out.append((tuple(name for bit, name in enumerate(_LAYERS) if f & (1 << bit)), text[i:j]))
        i = j
    return out


def text_html(text: str, marks: list[tuple[int, int]] = (), diffs: list[tuple[int, int]] = (),
              gaps: list[tuple[int, int]] = ()) -> Markup:
    """A passage's text as paragraphs and bullet lists ('· ' lines), marks wrapped in <mark>, the
    source's words where a checked text differs in .diff, words it left out in .gap."""
    layers = {"hl": list(marks), "diff": list(diffs), "gap": list(gaps)}
    m = _PNUM.match(text)
    if m:
        layers["pnum"] = [(0, m.end())]
    blocks: list[dict] = []      # {"list": bool, "lines": [runs, …]}
    pos = 0
    for line in text.split("\n"):
        a, b = pos, pos + len(line)
        pos = b + 1
        if not line.strip():
            continue
        bullet = line.startswith("· ")
        if bullet and blocks and blocks[-1]["list"]:
            blocks[-1]["lines"].append(_runs(text, a + 2, b, layers))
        else:
            blocks.append({"list": bullet, "lines": [_runs(text, a + 2 if bullet else a, b, layers)]})
    return render("text.html", blocks=blocks)
