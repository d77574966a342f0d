"""Cleaning the text of a PDF's pages, as pypdfium2 gives them: CRLF line ends, U+0002 for a hyphen
at a line end, running headers/footers and page-number lines (and the printed page numbers they give),
footnote numbers glued to words and numbers, paragraph numbers glued to their text, contents lines and
numbers outside the document's own paragraph numbering. `clean_pages` returns the laid-out `Extracted`.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .blocks import BULLET
from .layout import GLUED_NUMBER, NUMBERED, REF, Extracted, Layout, Page

_HYPHEN = re.compile(r"([A-Za-z]*)[\x02\ufffe]\n?([A-Za-z]*)")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_PAGE_WORD = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s+of\s+\d{1,4})?$|^[-–]\s*(\d{1,4})\s*[-–]$", re.I)
_ROMAN = re.compile(r"^[ivxlc]{1,7}$")
_TRAILING_NUMBER = re.compile(r"\s(\d{1,4})$")
_FN_START = re.compile(r"^(\d{1,3})(?:\s+(\S.*)|(?=[A-Z‘“(])(.*))?$")
_GRADES = r"Requires improvement to be good|Requires improvement|Outstanding|Good|Inadequate"
_GRADE_ITEM = re.compile(rf"\s*(.+?)\s+({_GRADES})\b\s*")
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




def _zones(lines: list[str], depth: int = 3) -> tuple[list[int], list[int]]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:depth], filled[-depth:]


def _strip_running_lines(pages: list[Page], pdf_labels: list[str]) -> None:
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
def _ref_patterns(n: int) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """Footnote number n glued after a word or punctuation ("board1", "12%4", "role.1"), or after
    a figure whose thousands it breaks ("42,6163" = 42,616 + 3); or alone on the line below what it
    marks, with that line break."""
    s = str(n)
    return (re.compile(rf"(?<=[^\W\d_]|[)\]%’”'\".,;:!?])(?<!\d[.,]){s}(?![\w]|[.,]\d)"),
            re.compile(rf"(?<![\d,.])\d{{1,3}}(?:,\d{{3}})+({s})(?![\d,]|\.\d)"),
            re.compile(rf"(?<=\S)\n *{s} *(?=\n)"))


def _find_ref(body: str, n: int, pos: int) -> tuple[int, int] | None:
    """Where footnote number `n` is glued on in `body` at or after `pos`: (start, end) of its digits; else
    where it stands on a line of its own, below what it marks ("What needs to improve?" then "1")."""
    after_word, after_figure, own_line = _ref_patterns(n)
    best = None
    m = after_word.search(body, pos)
    if m:
        best = (m.start(), m.end())
    m = after_figure.search(body, pos)
    if m and (best is None or m.start(1) < best[0]):
        best = (m.start(1), m.end(1))
    if best is None and (m := own_line.search(body, pos)):
        best = (m.start(), m.end())                # the reference joins the line above
    return best


def _split_footnotes(p: Page) -> None:
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
            body = body[:a] + REF + gap + body[b:]
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


def _mark_contents(pages: list[Page]) -> None:
    """Runs of three or more lines ending in a page number (contents, tables of figures) become
    list items, so that they are not read as headings."""
    for p in pages:
        run: list[int] = []
        for j, line in enumerate(p.lines + [""]):
            s = line.strip()
            if s and not s.startswith(("\x03", "\x04")) and _TOC_LINE.match(s) and not NUMBERED.match(s):
                run.append(j)
                continue
            if not s and j < len(p.lines):
                continue
            if len(run) >= 3:
                for k in run:
                    p.lines[k] = "\x04" + BULLET + " " + p.lines[k].strip()
            run = []


def _demote_stray_numbers(pages: list[Page]) -> None:
    """Numbered paragraphs are the document's longest run 1, 2, 3 … (or 9.1, 9.2 …); a number
    outside it (a grade table, a list restarting at 1.) becomes a list item."""
    found: list[tuple[int, int, tuple[int, ...]]] = []
    for i, p in enumerate(pages):
        for j, line in enumerate(p.lines):
            m = NUMBERED.match(GLUED_NUMBER.sub(r"\1. ", line.strip()))
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
            pages[i].lines[j] = "\x04" + BULLET + " " + GLUED_NUMBER.sub(r"\1. ", pages[i].lines[j].strip())


def clean_pages(texts: list[str], pdf_labels: list[str] | None = None, metadata: dict | None = None) -> Extracted:
    """Cleaned, laid-out text from raw page texts (as pypdfium2 gives them)."""
    pdf_labels = pdf_labels or [""] * len(texts)
    texts = [t.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\x00", "") for t in texts]
    texts = _repair_hyphens(texts)
    pages = [Page([line.rstrip() for line in t.split("\n")]) for t in texts]
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
    return Layout(pages).run(labels, metadata or {})

