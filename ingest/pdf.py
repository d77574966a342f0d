"""PDF (and Word) documents as paged text: extract page by page, clean, lay out for the splitter.

`extract_pdf` reads a PDF with pypdfium2 and returns an `Extracted`: one cleaned text (every
passage offset points into it), where each physical page starts in it, the printed page labels
and the document properties. Cleaning works from what pypdfium2 gives on real reports: CRLF
line ends, U+0002 for a hyphen at a line end, running headers/footers and page-number lines,
private-use bullet glyphs, footnote numbers glued to words and numbers, paragraph numbers glued
to their text, paragraphs cut by page breaks. The text is laid out for the generic splitter:
one logical paragraph per line, a blank line between paragraphs, headings on their own line,
bullets as "· item", footnotes as their own "\ufffdN text" lines after the paragraph that cites
them. Nothing here imports torch, faiss or gradio.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .blocks import BULLET, FOOTNOTE_MARK
from .reader import DocumentError

MAX_PDF_BYTES = 200 * 1024 * 1024
MAX_DOCX_BYTES = 100 * 1024 * 1024


class PagedDocumentError(DocumentError):
    """A PDF or Word file that cannot be ingested. `status` names the reason for a document list:
    "empty", "too-large", "not-pdf", "not-docx", "corrupt", "encrypted", "needs-ocr", "unreadable".
    """

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


@dataclass
class Extracted:
    """A document's cleaned text and where its pages lie in it."""

    text: str
    page_starts: list[int]            # offset in `text` where each physical page's content begins
    page_labels: list[str]            # printed label per physical page ("iv", "12")
    metadata: dict
    pages: int
    # runs of text by physical page: segment k covers [segment_starts[k], segment_starts[k+1])
    segment_starts: list[int] = field(default_factory=list, repr=False)
    segment_pages: list[int] = field(default_factory=list, repr=False)
    # (offset in `text` where a footnote reference stood, offset of that footnote's line)
    footnote_refs: list[tuple[int, int]] = field(default_factory=list, repr=False)

    def page_of(self, offset: int) -> int:
        """1-based physical page of the character at `offset`."""
        if self.segment_starts:
            k = bisect.bisect_right(self.segment_starts, offset) - 1
            return self.segment_pages[max(k, 0)]
        return max(bisect.bisect_right(self.page_starts, offset), 1)

    def locate(self, start: int, end: int) -> tuple[int, list[int], str]:
        """(page, pages, page_label) of text[start:end]: where it starts, every page it spans."""
        end = max(end, start + 1)
        if not self.segment_starts:
            first, last = self.page_of(start), self.page_of(end - 1)
            pages = list(range(first, last + 1))
        else:
            k = max(bisect.bisect_right(self.segment_starts, start) - 1, 0)
            first, seen = self.segment_pages[k], []
            while k < len(self.segment_starts) and self.segment_starts[k] < end:
                if self.segment_pages[k] not in seen:
                    seen.append(self.segment_pages[k])
                k += 1
            pages = sorted(seen)
        return first, pages, self.page_labels[first - 1] if 0 < first <= len(self.page_labels) else str(first)


# -- reading ---------------------------------------------------------------------------------

def _check_file(path: Path, limit: int, kind: str) -> bytes:
    """The file's first bytes, after the size checks."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError as e:
        raise PagedDocumentError(f"{path.name}: cannot be read ({e.strerror or e.__class__.__name__})",
                                 "unreadable") from None
    if size == 0:
        raise PagedDocumentError(f"{path.name}: empty file (0 bytes)", "empty")
    if size > limit:
        raise PagedDocumentError(f"{path.name}: {size:,} bytes is over the {limit:,}-byte limit for a {kind}; "
                                 "refused", "too-large")
    return head


def _what_it_is(head: bytes) -> str:
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in low[:1024]:
        return "an HTML page"
    if low.startswith(b"<?xml") or low.startswith(b"<"):
        return "an XML/markup file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (a Word or other Office file?)"
    if head.startswith(b"%PDF"):
        return "a PDF"
    for magic, name in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                        (b"\xd0\xcf\x11\xe0", "an old-style Office file (.doc)"), (b"{\\rtf", "an RTF file")):
        if head.startswith(magic):
            return name
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "unrecognised binary data"


def _pdf_date(value: str) -> str | None:
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", value or "")
    if not m:
        return None
    y, mo, d, h, mi, s = m.groups()
    out = f"{y}-{mo or '01'}-{d or '01'}"
    return out + (f"T{h}:{mi or '00'}:{s or '00'}" if h else "")


def _read_pdf(path: Path) -> tuple[list[str], list[str], dict]:
    """(raw text per page, PDF page labels ('' where none), metadata)."""
    head = _check_file(path, MAX_PDF_BYTES, "PDF")
    if b"%PDF-" not in head[:1024]:
        raise PagedDocumentError(f"{path.name}: not a PDF: it is {_what_it_is(head)}", "not-pdf")
    import pypdfium2 as pdfium
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium.raw.FPDF_ERR_PASSWORD or "password" in str(e).lower():
            raise PagedDocumentError(f"{path.name}: encrypted PDF: a password is required to open it",
                                     "encrypted") from None
        if code == pdfium.raw.FPDF_ERR_SECURITY:
            raise PagedDocumentError(f"{path.name}: encrypted PDF with an unsupported security handler",
                                     "encrypted") from None
        raise PagedDocumentError(f"{path.name}: corrupt or truncated PDF (PDFium cannot load it)", "corrupt") from None
    try:
        count = len(doc)
        if count == 0:
            raise PagedDocumentError(f"{path.name}: corrupt PDF: it has no pages", "corrupt")
        texts, labels = [], []
        for i in range(count):
            page = doc[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
            labels.append(doc.get_page_label(i) or "")
        raw_meta = doc.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        raise PagedDocumentError(f"{path.name}: corrupt PDF: a page cannot be read", "corrupt") from None
    finally:
        doc.close()
    metadata = {k.lower(): v.strip() for k, v in raw_meta.items() if isinstance(v, str) and v.strip()}
    for key in ("creationdate", "moddate"):
        if key in metadata:
            metadata["created" if key == "creationdate" else "modified"] = _pdf_date(metadata.pop(key)) or ""
    if metadata.get("created"):
        metadata["date"] = metadata["created"][:10]          # the properties' date, YYYY-MM-DD
    visible = sum(len(t.split()) for t in texts)
    if visible < 5 * count and visible < 50:
        raise PagedDocumentError(f"{path.name}: no text layer: needs OCR ({count} page{'s' * (count != 1)})",
                                 "needs-ocr")
    return texts, labels, metadata


def extract_pdf(path: Path) -> Extracted:
    """The PDF's cleaned text, page offsets, labels and properties. Raises PagedDocumentError."""
    texts, pdf_labels, metadata = _read_pdf(Path(path))
    return clean_pages(texts, pdf_labels, metadata)


# -- cleaning --------------------------------------------------------------------------------

_BULLETS = "·\uf06e\uf02d\uf0a7\uf0b7\uf0be\uf076\uf0d8\uf0fc◼•▪●◦■□➢"
_BULLET_LINE = re.compile(rf"^\s*[{_BULLETS}]\s*")
_HYPHEN = re.compile(r"([A-Za-z]*)[\x02\ufffe]\n?([A-Za-z]*)")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_GLUED_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})?)\.(?=[A-Z‘“(])")
_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})?)\.\s")
_PAGE_WORD = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s+of\s+\d{1,4})?$|^[-–]\s*(\d{1,4})\s*[-–]$", re.I)
_ROMAN = re.compile(r"^[ivxlc]{1,7}$")
_TRAILING_NUMBER = re.compile(r"\s(\d{1,4})$")
_END = re.compile(r"[.!?:;][’”\"')\]]*$")
_FN_START = re.compile(r"^(\d{1,3})(?:\s+(\S.*)|(?=[A-Z‘“(])(.*))?$")
_GRADES = r"Requires improvement to be good|Requires improvement|Outstanding|Good|Inadequate"
_GRADE_ITEM = re.compile(rf"\s*(.+?)\s+({_GRADES})\b\s*")
_REF = "\x01"                      # where a footnote reference stood (removed on output)
_OPEN_END = re.compile(r"(?:^|\s)(?:and|or|of|the|a|an|to|for|in|on|with|by|from|at|as|that|which|is|are|"
                       r"its|their|our|&|–|-)$", re.I)      # a line ending here goes on
_TOC_LINE = re.compile(r"^\D.*?(?:\s|\.{2,}|…)\s*(?:\d{1,4}|[ivxlc]{1,6})$")


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def _repair_hyphens(pages: list[str]) -> list[str]:
    """U+0002 (U+FFFE) marks a hyphen at a line end: keep it in compounds ("multi-agency"), drop
    it where the document spells the word whole elsewhere and never hyphenated."""
    if not any("\x02" in p or "\ufffe" in p for p in pages):
        return pages
    vocabulary = set(_WORD.findall(" ".join(pages).lower()))

    def join(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        whole = (a + b).lower()
        if a and b and whole in vocabulary and f"{a}-{b}".lower() not in vocabulary:
            return a + b
        return f"{a}-{b}"

    return [_HYPHEN.sub(join, p) for p in pages]


@dataclass
class _Page:
    lines: list[str]
    footnotes: list[tuple[int, str]] = field(default_factory=list)   # (number, text)
    referenced: list[int] = field(default_factory=list)   # note numbers whose reference was found, in order
    label: str | None = None


def _zones(lines: list[str], depth: int = 3) -> tuple[list[int], list[int]]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:depth], filled[-depth:]


def _strip_running_lines(pages: list[_Page], pdf_labels: list[str]) -> None:
    """Remove running headers/footers and page-number lines; learn printed page numbers."""
    n = len(pages)
    top, bottom = Counter(), Counter()
    for p in pages:
        t, b = _zones(p.lines)
        top.update({_key(p.lines[i]) for i in t})
        bottom.update({_key(p.lines[i]) for i in b})
    threshold = 2 if n <= 4 else 3
    repeated = {k for c in (top, bottom) for k, v in c.items()
                if v >= threshold and k.strip("# ") and len(k) <= 160 and n >= 3}

    # the printed number: a bare number line at the top/bottom, or a number ending a running line
    offsets = Counter()
    found: list[dict[int, int]] = []
    for i, p in enumerate(pages):
        t, b = _zones(p.lines, 2)
        cand = {}
        for j in t + b:
            s = p.lines[j].strip()
            m = _PAGE_WORD.match(s)
            if m:
                cand[j] = int(m.group(1) or m.group(2))
            elif _key(s) in repeated and (m := _TRAILING_NUMBER.search(s)):
                cand[j] = int(m.group(1))
        found.append(cand)
        offsets.update({v - (i + 1) for v in set(cand.values())})
    offset, hits = offsets.most_common(1)[0] if offsets else (None, 0)
    if hits < max(2, n // 4):
        offset = 0 if offsets.get(0, 0) >= 1 else None

    for i, p in enumerate(pages):
        label = pdf_labels[i] if i < len(pdf_labels) else ""
        number = None

        def is_running(j: int) -> bool:
            nonlocal number
            s = p.lines[j].strip()
            if j in found[i] and offset is not None and found[i][j] - (i + 1) == offset:
                number = found[i][j]
                return True
            if _key(s) in repeated:
                return True
            return bool(label) and (s == label or (_ROMAN.match(s) is not None and s == label.lower()))

        for direction in (1, -1):
            removed = 0
            order = range(len(p.lines)) if direction == 1 else range(len(p.lines) - 1, -1, -1)
            for j in order:
                if not p.lines[j].strip():
                    continue
                if removed >= 4 or not is_running(j):
                    break
                p.lines[j] = ""
                removed += 1
        if number is not None:
            p.label = str(number)
        elif offset is not None and hits >= max(2, n // 4) and i + 1 + offset > 0:
            p.label = str(i + 1 + offset)


@lru_cache(maxsize=1024)
def _ref_patterns(n: int) -> tuple[re.Pattern, re.Pattern]:
    """Footnote number n glued after a word or punctuation ("board1", "12%4", "role.1"), or after
    a figure whose thousands it breaks ("42,6163" = 42,616 + 3)."""
    s = str(n)
    return (re.compile(rf"(?<=[^\W\d_]|[)\]%’”'\".,;:!?])(?<!\d[.,]){s}(?![\w]|[.,]\d)"),
            re.compile(rf"(?<![\d,.])\d{{1,3}}(?:,\d{{3}})+({s})(?![\d,]|\.\d)"))


def _find_ref(body: str, n: int, pos: int) -> tuple[int, int] | None:
    """Where footnote number `n` is glued on in `body` at or after `pos`: (start, end) of its digits."""
    after_word, after_figure = _ref_patterns(n)
    best = None
    m = after_word.search(body, pos)
    if m:
        best = (m.start(), m.end())
    m = after_figure.search(body, pos)
    if m and (best is None or m.start(1) < best[0]):
        best = (m.start(1), m.end(1))
    return best


def _split_footnotes(p: _Page) -> None:
    """Find the footnotes at the foot of the page, cut them off and unglue their references."""
    filled = [i for i, line in enumerate(p.lines) if line.strip()]
    if len(filled) < 2:
        return
    window = filled[-30:]
    for s in window:
        m = _FN_START.match(p.lines[s].strip())
        if not m or s == filled[0]:
            continue
        first = int(m.group(1))
        if first == 0:
            continue
        notes = _parse_notes([p.lines[i].strip() for i in filled if i >= s], first)
        if not notes:
            continue
        body_lines = p.lines[:s]
        body = "\n".join(body_lines)
        if _find_ref(body, first, 0) is None:
            continue
        # unglue references in order, each after the last
        pos, cuts = 0, []
        for number, _ in notes:
            hit = _find_ref(body, number, pos)
            if hit is None:
                continue
            cuts.append(hit)
            p.referenced.append(number)
            pos = hit[1]
        for a, b in reversed(cuts):
            gap = " " if a and body[a - 1].isdigit() and b < len(body) and body[b].isalpha() else ""
            body = body[:a] + _REF + gap + body[b:]
        p.lines = body.split("\n")
        p.footnotes = notes
        return


def _parse_notes(lines: list[str], first: int) -> list[tuple[int, str]] | None:
    notes: list[tuple[int, list[str]]] = []
    expected = first
    for line in lines:
        m = _FN_START.match(line)
        if m and int(m.group(1)) == expected:
            notes.append((expected, [(m.group(2) or m.group(3) or "").strip()]))
            expected += 1
        elif notes:
            notes[-1][1].append(line)
        else:
            return None
    out = []
    for number, parts in notes:
        text = " ".join(x for x in parts if x)
        # several notes on one line: "131 Section ... 132 Carried out ..."
        while (m := re.search(rf"\s{number + 1}\s(?=[A-Z])", text)) and not any(k == number + 1 for k, _ in notes):
            out.append((number, text[:m.start()].strip()))
            number, text = number + 1, text[m.end():]
        out.append((number, text.strip()))
    if any(not t for _, t in out):
        return None
    return out


def _grade_table(lines: list[str]) -> list[str]:
    """Page 1 of an inspection: 'Judgement Grade' then judgements and grades flattened into lines."""
    starts = [i for i, line in enumerate(lines) if _key(line) in ("judgement grade", "judgement grade:")]
    if not starts:
        return lines
    i = starts[0]
    for j in range(i + 1, min(i + 25, len(lines))):
        if lines[j].strip().lower().startswith("overall effectiveness"):
            flat = " ".join(x.strip() for x in lines[i + 1:j + 1] if x.strip())
            items = [(m.group(1), m.group(2)) for m in _GRADE_ITEM.finditer(flat)]
            if not items or sum(len(a) + len(b) + 1 for a, b in items) < len(flat.replace(" ", "")) * 0.9 - 5:
                return lines
            table = [f"{BULLET} {a}: {b}" for a, b in items]
            return lines[:i] + ["\x03" + lines[i].strip()] + ["\x04" + t for t in table] + lines[j + 1:]
    return lines


def _mark_contents(pages: list[_Page]) -> None:
    """Runs of three or more lines ending in a page number (contents, tables of figures) become
    list items, so that they are not read as headings."""
    for p in pages:
        run: list[int] = []
        for j, line in enumerate(p.lines + [""]):
            s = line.strip()
            if s and not s.startswith(("\x03", "\x04")) and _TOC_LINE.match(s) and not _NUMBERED.match(s):
                run.append(j)
                continue
            if not s and j < len(p.lines):
                continue
            if len(run) >= 3:
                for k in run:
                    p.lines[k] = "\x04" + BULLET + " " + p.lines[k].strip()
            run = []


def _demote_stray_numbers(pages: list[_Page]) -> None:
    """Numbered paragraphs are the document's longest run 1, 2, 3 … (or 9.1, 9.2 …); a number
    outside it (a grade table, a list restarting at 1.) becomes a list item."""
    found: list[tuple[int, int, tuple[int, ...]]] = []
    for i, p in enumerate(pages):
        for j, line in enumerate(p.lines):
            m = _NUMBERED.match(_GLUED_NUMBER.sub(r"\1. ", line.strip()))
            if m:
                found.append((i, j, tuple(int(x) for x in m.group(1).split("."))))
    if not found:
        return
    best: dict[tuple[int, ...], tuple[int, int]] = {}        # number -> (chain length, index in found)
    best_major: dict[int, tuple[int, int]] = {}
    back: list[int | None] = []
    for k, (_, _, num) in enumerate(found):
        # the number before it, allowing up to two missed on the way (a number the PDF lost)
        if len(num) == 1:
            options = [best.get((num[0] - d,)) for d in (1, 2, 3)]
        elif num[1] > 1:
            options = [best.get((num[0], num[1] - d)) for d in (1, 2, 3)]
        else:
            options = [best_major.get(num[0] - d) for d in (1, 2)]
        prev = max((o for o in options if o), default=None)
        length = (prev[0] if prev else 0) + 1
        back.append(prev[1] if prev else None)
        if length >= best.get(num, (0, 0))[0]:
            best[num] = (length, k)
            if len(num) == 2 and length >= best_major.get(num[0], (0, 0))[0]:
                best_major[num[0]] = (length, k)
    length, end = max(best.values())
    if length < 3:
        return
    keep = set()
    while end is not None:
        keep.add(end)
        end = back[end]
    for k, (i, j, _) in enumerate(found):
        if k not in keep:
            pages[i].lines[j] = "\x04" + BULLET + " " + _GLUED_NUMBER.sub(r"\1. ", pages[i].lines[j].strip())


def clean_pages(texts: list[str], pdf_labels: list[str] | None = None, metadata: dict | None = None) -> Extracted:
    """Cleaned, laid-out text from raw page texts (as pypdfium2 gives them)."""
    pdf_labels = pdf_labels or [""] * len(texts)
    texts = [t.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\x00", "") for t in texts]
    texts = _repair_hyphens(texts)
    pages = [_Page([line.rstrip() for line in t.split("\n")]) for t in texts]
    _strip_running_lines(pages, pdf_labels)
    for p in pages:
        _split_footnotes(p)
    if pages:
        pages[0].lines = _grade_table(pages[0].lines)
    _mark_contents(pages)
    _demote_stray_numbers(pages)
    have_pdf_labels = any(pdf_labels)
    labels = []
    for i, p in enumerate(pages):
        if have_pdf_labels and pdf_labels[i]:
            labels.append(pdf_labels[i])
        else:
            labels.append(p.label or str(i + 1))
    return _Layout(pages).run(labels, metadata or {})


class _Layout:
    """Lines of all pages -> one text, a logical paragraph per line."""

    def __init__(self, pages: list[_Page]):
        self.pages = pages
        lengths = sorted(len(line.strip()) for p in pages for line in p.lines if len(line.strip()) >= 30)
        self.width = lengths[int(len(lengths) * 0.9)] if lengths else 80
        self.parts: list[str] = []
        self.size = 0
        self.seg_starts: list[int] = []
        self.seg_pages: list[int] = []
        self.page_first: dict[int, int] = {}
        self.refs: list[int] = []               # offsets of footnote references, in order
        self.ref_notes: list[tuple[int, int]] = []   # (page, number) per reference, in order
        self.note_at: dict[tuple[int, int], int] = {}
        self.whole_lines = False                 # every line a paragraph of its own (Word)

    def short(self, line: str) -> bool:
        return len(line) < 0.8 * self.width

    def emit(self, piece: str, page: int | None) -> None:
        if page is not None and piece.strip():
            if not self.seg_pages or self.seg_pages[-1] != page:
                self.seg_starts.append(self.size)
                self.seg_pages.append(page)
            self.page_first.setdefault(page, self.size)
        if _REF in piece:
            chunks = piece.split(_REF)
            for k, chunk in enumerate(chunks):
                if k:
                    self.refs.append(self.size)
                self.parts.append(chunk)
                self.size += len(chunk)
            return
        self.parts.append(piece)
        self.size += len(piece)

    def run(self, labels: list[str], metadata: dict) -> Extracted:
        block: list[tuple[str, int]] = []       # (line, page)
        kind = None                              # "text", "bullet", "heading", "item"
        pending: list[tuple[int, int, str]] = []  # footnotes waiting for their paragraph to end
        prev_kind = None

        def flush() -> None:
            nonlocal block, kind, prev_kind
            if block:
                if self.size:
                    listed = kind in ("bullet", "item") and prev_kind == kind
                    self.emit("\n" if listed else "\n\n", None)
                for k, (line, page) in enumerate(block):
                    self.emit((" " if k else "") + line, page)
                prev_kind = kind
            block, kind = [], None
            for page, number, text in pending:
                if self.size:
                    self.emit("\n\n", None)
                self.note_at[(page, number)] = self.size
                self.emit(f"{FOOTNOTE_MARK}{number} {text}", page)
                prev_kind = "footnote"
            pending.clear()

        stream: list[tuple[str, int]] = []      # (line, page); "" with page -n: page n's footnotes
        for index, p in enumerate(self.pages, 1):
            stream += [(raw, index) for raw in p.lines if raw.strip()]
            stream.append(("", -index))
        refs_left = {index: list(p.referenced) for index, p in enumerate(self.pages, 1)}
        following = [""] * len(stream)          # the next line of text after each entry
        nxt = ""
        for k in range(len(stream) - 1, -1, -1):
            following[k] = nxt
            if stream[k][0]:
                nxt = stream[k][0].strip()
        pending_bullet = False
        for k, (raw, index) in enumerate(stream):
            if index < 0:
                pending.extend((-index, n, t) for n, t in self.pages[-index - 1].footnotes)
                continue
            for _ in range(raw.count(_REF)):
                left = refs_left[index]
                self.ref_notes.append((index, left.pop(0) if left else -1))
            if raw.startswith("\x03"):                     # the grade table's heading
                flush()
                block, kind = [(raw[1:], index)], "heading"
                continue
            if raw.startswith("\x04"):                     # a judgement and its grade, a contents line
                flush()
                block, kind = [(raw[1:], index)], "item"
                continue
            line = raw.strip()
            bullet = _BULLET_LINE.match(line)
            if bullet:
                rest = line[bullet.end():].strip()
                if not rest:
                    pending_bullet = True
                    continue
                flush()
                block, kind = [(f"{BULLET} {rest}", index)], "bullet"
                continue
            if pending_bullet:
                pending_bullet = False
                flush()
                block, kind = [(f"{BULLET} {line}", index)], "bullet"
                continue
            line = _GLUED_NUMBER.sub(r"\1. ", line)
            if _NUMBERED.match(line) or self.starts_new(block, kind, line) \
                    or self.heading_between(block, line, following[k]):
                flush()
                block, kind = [(line, index)], "text"
            else:
                block.append((line, index))
        flush()
        text = "".join(self.parts)
        return self.extracted(text, labels, metadata)

    def heading_between(self, block: list[tuple[str, int]], line: str, after: str) -> bool:
        """A short title-like line after a finished sentence, before a list or a new paragraph."""
        if not block or not _END.search(block[-1][0].replace(_REF, "")) or _END.search(line):
            return False
        if not (self.short(line) and line[0].isupper() and after):
            return False
        return bool(_BULLET_LINE.match(after) or _NUMBERED.match(_GLUED_NUMBER.sub(r"\1. ", after))
                    or after[0].isupper() or after[0] in "‘“\"")

    def starts_new(self, block: list[tuple[str, int]], kind: str | None, line: str) -> bool:
        if not block or kind == "heading" or self.whole_lines:
            return True
        prev = block[-1][0].replace(_REF, "")
        first = line[0]
        if first.islower() or first in ",;)]%":
            return False
        if _OPEN_END.search(prev):
            return False
        if _END.search(prev):
            return self.short(prev)
        return self.short(prev) and (first.isupper() or first.isdigit() or first in "‘“\"'(")

    def extracted(self, text: str, labels: list[str], metadata: dict) -> Extracted:
        n = len(self.pages)
        starts, nxt = [0] * n, len(text)
        for i in range(n, 0, -1):
            nxt = min(self.page_first.get(i, nxt), nxt)
            starts[i - 1] = nxt
        refs = []
        for offset, key in zip(self.refs, self.ref_notes):
            if key in self.note_at:
                refs.append((offset, self.note_at[key]))
        return Extracted(text=text, page_starts=starts, page_labels=labels, metadata=metadata, pages=n,
                         segment_starts=self.seg_starts or [0], segment_pages=self.seg_pages or [1],
                         footnote_refs=refs)


# -- Word ------------------------------------------------------------------------------------

def extract_docx(path: Path) -> Extracted:
    """A Word (.docx) file as paged text: paragraphs in body order, headings by style, list
    paragraphs as bullets, table rows as lines; pages where Word last broke them (rendered
    page breaks) or where a hard page break stands. Raises PagedDocumentError."""
    path = Path(path)
    head = _check_file(path, MAX_DOCX_BYTES, "Word file")
    if not head.startswith(b"PK\x03\x04"):
        raise PagedDocumentError(f"{path.name}: not a Word (.docx) file: it is {_what_it_is(head)}", "not-docx")
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise PagedDocumentError(f"{path.name}: corrupt or not a Word document ({e.__class__.__name__})",
                                 "corrupt") from None
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    pages: list[list[str]] = [[]]
    for element in document.element.body.iterchildren():
        if element.tag == W + "p":
            breaks = len(element.findall(f".//{W}lastRenderedPageBreak")) + \
                len([b for b in element.findall(f".//{W}br") if b.get(W + "type") == "page"])
            for _ in range(min(breaks, 1) if pages[-1] else 0):
                pages.append([])
            text = " ".join("".join((t.text or "") if t.tag == W + "t" else " "
                                    for t in element.iter(W + "t", W + "tab")).split())
            if not text:
                continue
            style = element.find(f"{W}pPr/{W}pStyle")
            style = (style.get(W + "val") if style is not None else "") or ""
            listed = element.find(f"{W}pPr/{W}numPr") is not None or style.lower().startswith("list")
            if style.lower().startswith(("heading", "title")):
                pages[-1] += ["", "\x03" + text, ""]
            elif listed:
                pages[-1].append(f"{BULLET} {text}")
            else:
                pages[-1] += [text, ""]
        elif element.tag == W + "tbl":
            for row in element.iter(W + "tr"):
                cells = [" ".join("".join(t.text or "" for t in cell.iter(W + "t")).split())
                         for cell in row.iter(W + "tc")]
                cells = [c for c in cells if c]
                if cells:
                    pages[-1].append("\x04" + BULLET + " " + " · ".join(cells))
            pages[-1].append("")
    props = document.core_properties
    metadata = {k: v for k, v in (("title", props.title), ("author", props.author), ("subject", props.subject),
                                  ("created", props.created.isoformat() if props.created else None),
                                  ("modified", props.modified.isoformat() if props.modified else None)) if v}
    if metadata.get("created"):
        metadata["date"] = metadata["created"][:10]
    if not any(line.strip() for page in pages for line in page):
        raise PagedDocumentError(f"{path.name}: no text in this Word document", "empty")
    return _layout_plain(pages, metadata)


def _layout_plain(pages: list[list[str]], metadata: dict) -> Extracted:
    """Lines that are already whole paragraphs, laid out as for PDFs."""
    layout = _Layout([_Page(lines) for lines in pages])
    layout.whole_lines = True
    return layout.run([str(i + 1) for i in range(len(pages))], metadata)
