"""First pass over a plain-text export: mask artefacts, then cut lines into typed blocks.

Masking replaces export artefacts with spaces of the same length, so every offset into the
masked text is an offset into the source, and a passage's text is simply its masked span
with whitespace normalised.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET = "·"
FOOTNOTE_MARK = "\ufffd"                      # the export's stand-in for a footnote reference
_IMAGE = re.compile(r"\[image: [^\]\n]*\]")
_FIELD_CODE = re.compile(FOOTNOTE_MARK + r'HYPERLINK "[^"\n]*"' + FOOTNOTE_MARK * 2)
_LONE_PUNCT = re.compile(r"^[ \t]*[,;][ \t]*$", re.M)    # a comma left between two footnote markers
_LEADING_BULLET = re.compile(r"^([ \t]*)" + BULLET, re.M)
_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})?)\.\s")      # "40. ", "9.114. "
_CAPTION = re.compile(r"^\s*Table \d+:")


@dataclass
class Block:
    """One logical line: a physical line plus the continuation lines merged into it."""

    kind: str            # heading, numbered, bullet, cell, footnote, caption, quote, text
    start: int
    end: int
    blank_before: bool
    level: int = 0                   # heading level
    number: str | None = None        # numbered paragraph
    markers: list[int] = field(default_factory=list)   # where footnote markers stood


def mask_artefacts(text: str) -> str:
    """Same length as `text`; artefacts (image tags, field codes, bullets, stray commas) blanked."""
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if not chars[i].isspace():
                chars[i] = " "

    for pattern, group in ((_IMAGE, 0), (_FIELD_CODE, 0), (_LONE_PUNCT, 0)):
        for m in pattern.finditer(text):
            blank(m.start(group), m.end(group))
    for m in _LEADING_BULLET.finditer(text):
        blank(m.end() - 1, m.end())
    for i, ch in enumerate(text):
        if ch == FOOTNOTE_MARK:
            chars[i] = " "
    return "".join(chars)


def heading_key(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip().rstrip(":").strip().lower()


def looks_like_heading(line: str) -> bool:
    """For documents without an outline: a short line with no closing punctuation, though it may end
    with an acronym or a range of ages in brackets ("Annex B: Strengths and Difficulties Questionnaire
    (SDQ)", "Adolescents and those leaving care (11-18)")."""
    s = line.strip()
    closed = s[-1:] not in ".,;:!\"'’”)" or bool(_TITLE_END.search(s))
    return bool(s) and len(s) <= 120 and len(s.split()) <= 18 and s[0].isupper() and closed


_TITLE_END = re.compile(r"\s\((?:[A-Z]{2,8}|\d{1,2}\s?[-–]\s?\d{1,2})\)$")


def read_blocks(text: str, masked: str, headings: dict[str, int] | None) -> list[Block]:
    """Cut the document into blocks. `headings` maps heading_key -> level (None: guess)."""
    blocks: list[Block] = []
    pos, blank_before = 0, True
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        shown = masked[start:end]
        if _LONE_PUNCT.match(raw):
            if blocks:
                blocks[-1].markers.append(start)
            continue
        if raw.startswith("\t"):
            blocks.append(Block("cell", start, end, blank_before))
            blank_before = False
            continue
        if not shown.strip():
            blank_before = True
            continue
        level = _heading_level(raw, shown, headings, blank_before and bool(blocks))
        if level:
            blocks.append(Block("heading", start, end, blank_before, level=level))
        elif raw.startswith(" ") and blocks and not blank_before and blocks[-1].kind not in ("heading", "cell"):
            blocks[-1].end = end                # a footnote marker stood where this line breaks
            blocks[-1].markers.append(start)
        else:
            blocks.append(_typed_block(raw, shown, start, end, blank_before))
        blank_before = False
    return blocks


def _heading_level(raw: str, shown: str, headings: dict[str, int] | None, blank_before: bool) -> int:
    if headings is not None:
        return headings.get(heading_key(shown), 0)
    if raw.lstrip().startswith((BULLET, FOOTNOTE_MARK)):      # a list item or a footnote, not a heading
        return 0
    return 1 if blank_before and looks_like_heading(shown) and not _NUMBERED.match(shown) else 0


def _typed_block(raw: str, shown: str, start: int, end: int, blank_before: bool) -> Block:
    stripped = shown.strip()
    if raw.lstrip().startswith(BULLET):              # "· 1. …": an item numbered as a list, not a paragraph
        return Block("bullet", start, end, blank_before)
    if m := _NUMBERED.match(shown):
        return Block("numbered", start, end, blank_before, number=m.group(1))
    if raw.startswith(FOOTNOTE_MARK):
        return Block("footnote", start, end, blank_before)
    if _CAPTION.match(shown):
        return Block("caption", start, end, blank_before)
    if stripped.startswith(("‘", "“", '"')):
        return Block("quote", start, end, blank_before)
    return Block("text", start, end, blank_before)
