"""Paged text laid out for the splitter: the lines of each page (as `pagetext` leaves them, or a Word
file's paragraphs) become one text, a logical paragraph per line, and an `Extracted` records where each
physical page lies in it.

Layout: one logical paragraph per line, a blank line between paragraphs, headings on their own line,
bullets as "· item", footnotes as their own "\ufffdN text" lines after the paragraph that cites them.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from . import package_data
from .blocks import BULLET, FOOTNOTE_MARK

_BULLETS = "·\uf06e\uf02d\uf0a7\uf0b7\uf0be\uf076\uf0d8\uf0fc◼•▪●◦■□➢"
_BULLET_LINE = re.compile(rf"^\s*[{_BULLETS}]\s*")
GLUED_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})?)\.(?=[A-Z‘“(])")
NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})?)\.\s")
_END = re.compile(r"[.!?:;][’”\"')\]]*$")
_DIVISION = re.compile(r"(?:Annex|Appendix|Chapter|Part|Schedule) [A-Z0-9]{1,3}\s?[:.–-]\s?[A-Z]")
_ACRONYM_LINE = re.compile(r"\([A-Z]{2,8}\)")
REF = "\x01"                      # where a footnote reference stood (removed on output)
_NOTICE = re.compile("|".join(re.escape(x.replace("’", "'"))
                            for x in package_data("publishers.toml").get("notices", {}).get("opening", []))
                     or r"(?!)", re.I)             # a publisher's notice: always a paragraph of its own (publishers.toml)


_FRONT = package_data("publishers.toml").get("front_page", {})
_FRONT_LINE = re.compile(r"(?:" + "|".join([rf"{re.escape(x)}\s*:.*" for x in _FRONT.get("fields", [])]
                                          + [re.escape(x) for x in _FRONT.get("lines", [])]) + r")\Z"
                         if _FRONT else r"(?!)", re.I | re.S)


def is_front_field(text: str) -> bool:
    """Is this heading a front page's field or grade-table cell (publishers.toml [front_page]), not a section?"""
    return bool(_FRONT_LINE.match(" ".join(text.replace("’", "'").split())))


def is_notice(text: str) -> bool:
    """Does this text open with a publisher's notice (publishers.toml [notices])?"""
    return bool(_NOTICE.match(text.lstrip().replace("’", "'")))


# An entry of a list of further reading: a title, a dash, who publishes it and what it is ("Safeguarding
# children who may have been trafficked – DfE and Home Office guidance"), next to another title or alone.
_REFERENCE = re.compile(r"\s[–-]\s[^–.\n]{0,60}?\b(?:guidance|advice|strategy|website|campaign|policy paper|"
                        r"toolkit|resources?|resource pack|guidelines|framework|plan)(?=\s*$|\s+[A-Z])")


def is_reference(text: str) -> bool:
    """Is this text an entry of a list of further reading (KCSIE's annex of other guidance), not a
    statement: a title, a dash and a kind of document, with no sentence of its own?"""
    text = text.strip()
    return bool(_REFERENCE.search(text)) and not re.search(r"[.!?]\s+[A-Z]", text) and not text.endswith((".", ":"))


_OPEN_END = re.compile(r"(?:^|\s)(?:and|or|of|the|a|an|to|for|in|on|with|by|from|at|as|that|which|is|are|"
                       r"its|their|our|&|–|-)$", re.I)      # a line ending here goes on


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


@dataclass
class Page:
    lines: list[str]
    footnotes: list[tuple[int, str]] = field(default_factory=list)   # (number, text)
    referenced: list[int] = field(default_factory=list)   # note numbers whose reference was found, in order
    label: str | None = None



class Layout:
    """Lines of all pages -> one text, a logical paragraph per line."""

    def __init__(self, pages: list[Page]):
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
        if REF in piece:
            chunks = piece.split(REF)
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
            for _ in range(raw.count(REF)):
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
            line = GLUED_NUMBER.sub(r"\1. ", line)
            if NUMBERED.match(line) or is_notice(line) or self.starts_new(block, kind, line) \
                    or self.heading_between(block, line, following[k]):
                flush()
                block, kind = [(line, index)], "text"
            else:
                block.append((line, index))
        flush()
        text = "".join(self.parts)
        return self.extracted(text, labels, metadata)

    def heading_between(self, block: list[tuple[str, int]], line: str, after: str) -> bool:
        """A short title-like line after a finished sentence, before a list or a new paragraph. It may ask
        a question ("What needs to improve?") and carry a footnote reference. A line that opens an annex
        or a part ("Annex B: Strengths and Difficulties Questionnaire") is one, whatever follows it."""
        if not block or not _END.search(block[-1][0].replace(REF, "")) or _END.search(line.replace(REF, "").rstrip("?")):
            return False
        if _DIVISION.match(line):
            return True
        if not (self.short(line) and line[0].isupper() and after):
            return False
        return bool(_BULLET_LINE.match(after) or NUMBERED.match(GLUED_NUMBER.sub(r"\1. ", after))
                    or after[0].isupper() or after[0] in "‘“\"")

    def starts_new(self, block: list[tuple[str, int]], kind: str | None, line: str) -> bool:
        if not block or kind == "heading" or self.whole_lines:
            return True
        prev = block[-1][0].replace(REF, "")
        first = line[0]
        if first.islower() or first in ",;)]%" or _ACRONYM_LINE.fullmatch(line):     # "(SDQ)": a title's wrapped end
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



def layout_plain(pages: list[list[str]], metadata: dict) -> Extracted:
    """Lines that are already whole paragraphs, laid out as for PDFs."""
    layout = Layout([Page(lines) for lines in pages])
    layout.whole_lines = True
    return layout.run([str(i + 1) for i in range(len(pages))], metadata)
