"""What gets embedded: each passage (or sentence windows of a long one) and each sentence.

The model reads at most `max_tokens` word pieces; nothing longer is ever embedded in one
piece. A passage over the limit is embedded as windows of whole sentences instead.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Callable

from ingest.passage import Passage

NOT_RETRIEVED = {"heading", "title"}      # shown in the reader, not returned as answers (but see `retrieved`)
_STATEMENT = re.compile(r"\b(?:is|are|was|were)\b", re.I)
STATEMENT_WORDS = 4                        # a heading of at least this many words with a verb states something
CONTENTS = {"contents", "table of contents"}   # a list under such a heading is a table of contents
# A paged document (PDF, Word) has no sentence units; a passage longer than this many word pieces is
# embedded as windows of a few sentences, so a long summary paragraph is found by the sentences that
# match a query rather than by its average. On 30 library PDFs and their 25 library-dev queries:
# windows of the model's limit (254) R@1 0.68, R@5 0.92, MRR 0.78 with 2,150 units; 160: 0.68/0.96/0.79;
# 128: 0.64/0.96/0.77; 96: 0.76/0.96/0.84 with 3,502 units; 64: 0.80/0.92/0.86 with 5,923 units.
PAGED_WINDOW_TOKENS = 96


@dataclass
class Unit:
    passage: int          # index into the passage list
    kind: str             # passage | window | cell | sentence
    start_char: int
    end_char: int
    text: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)


def retrieved(p: Passage) -> bool:
    """Is this passage returned as an answer? Headings, titles and tables of contents are shown in the
    reader only, except a heading that states something: older inspections give their judgements as
    headings ("Children's services in Wirral are inadequate", "The effectiveness of the Local
    Safeguarding Children Board (LSCB) is requires improvement"), which no passage of their own repeats."""
    if p.kind == "list" and p.section and p.section[-1].strip().lower() in CONTENTS:
        return False                       # a table of contents names sections; it answers nothing
    if p.kind not in NOT_RETRIEVED:
        return True
    text = p.text.strip()
    return p.kind == "heading" and len(text.split()) >= STATEMENT_WORDS and bool(_STATEMENT.search(text)) \
        and not text.endswith("?")


def context(passage: Passage) -> str:
    """The heading path in front of the text: it tells the model what the passage is about."""
    return " › ".join(passage.section)


def build_units(passages: list[Passage], count_tokens: Callable[[str], int], max_tokens: int,
                sentences: bool = True, first: int = 0) -> list[Unit]:
    """Units of `passages`, numbered from passage `first`. sentences=False embeds passages (or their
    windows) and table cells only: a paged library is embedded in a fraction of the time, and its
    highlights are chosen by term overlap within the passage."""
    units: list[Unit] = []
    for i, p in enumerate(passages, first):
        if not retrieved(p):
            continue
        head = context(p)
        whole = f"{head}: {p.text}" if head and p.kind != "table-row" else p.text
        if count_tokens(whole) <= max_tokens:
            units.append(Unit(i, "passage", p.start_char, p.end_char, whole))
        else:
            units.extend(_windows(i, p, head, count_tokens, max_tokens))
        units.extend(_cells(i, p))
        if sentences and p.kind != "table-row" and len(p.sentences) > 1:
            for s in p.sentences:
                units.extend(_fit(Unit(i, "sentence", s.start_char, s.end_char, s.text), count_tokens, max_tokens))
    return units


def _cells(i: int, p: Passage) -> list[Unit]:
    """One unit per cell of a table row ("Outstanding, April 2010 – March 2011: 5"), so a
    question about one figure meets a text about that figure alone. Scored as the row."""
    if len(p.cells) < 2:
        return []
    return [Unit(i, "cell", p.start_char, p.end_char, f"{p.caption}: {p.row_label}, {h}: {v}") for h, v in p.cells if h]


def _windows(i: int, p: Passage, head: str, count_tokens, max_tokens: int) -> list[Unit]:
    """Consecutive whole sentences up to the limit, each window starting one sentence back."""
    out, first = [], 0
    sentences = p.sentences
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and count_tokens(_join(head, sentences[first:last + 2])) <= max_tokens:
            last += 1
        window = _join(head, sentences[first:last + 1])
        unit = Unit(i, "window", sentences[first].start_char, sentences[last].end_char, window)
        out.extend(_fit(unit, count_tokens, max_tokens))
        if last + 1 >= len(sentences):
            break
        first = last if last > first else last + 1
    return out


def _join(head: str, sentences) -> str:
    body = " ".join(s.text for s in sentences)
    return f"{head}: {body}" if head else body


def _fit(unit: Unit, count_tokens, max_tokens: int) -> list[Unit]:
    """A single sentence over the limit is split by words, so no text is silently cut."""
    if count_tokens(unit.text) <= max_tokens:
        return [unit]
    words = unit.text.split()
    half = len(words) // 2
    parts = [" ".join(words[:half]), " ".join(words[half:])]
    return [u for part in parts for u in _fit(Unit(unit.passage, unit.kind, unit.start_char, unit.end_char, part),
                                              count_tokens, max_tokens)]
