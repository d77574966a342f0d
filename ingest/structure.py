"""Second pass: blocks -> passages, following the report's own structure."""
from __future__ import annotations

import re

from .blocks import Block
from .layout import is_front_field
from .passage import Passage, Sentence, slug
from .tables import TableReader

_QUOTE_CLOSE = re.compile(r"[’”\"][.)]?\s*$")
_SHOULD = re.compile(r"\bshould:\s*$")


class StructureBuilder:
    """Walks the blocks once, keeping the current heading path, and emits passages."""

    def __init__(self, document_id: str, source: str, masked: str, sentencer, kinds: dict[str, str],
                 export_quirks: bool = True):
        self.document_id, self.source, self.masked = document_id, source, masked
        # the Word export's habits (a list's last item without its bullet, footnotes numbered by
        # order); a laid-out PDF has neither: its footnotes carry their printed number
        self.export_quirks = export_quirks
        self._ids: set[str] = set()
        self.sentencer = sentencer          # (start, end) -> list[(start, end)]
        self.kinds = {k.lower(): v for k, v in kinds.items()}
        self.path: list[tuple[int, str]] = []
        self.after_paragraph: str | None = None
        self.passages: list[Passage] = []
        self._ordinals: dict[str, int] = {}
        self._markers: list[tuple[int, str]] = []

    # -- helpers -------------------------------------------------------------------
    def clean(self, block: Block) -> str:
        return " ".join(self.masked[block.start:block.end].split())

    @property
    def section(self) -> list[str]:
        return [title for _, title in self.path]

    def section_kind(self) -> str | None:
        for title in reversed(self.section):
            if kind := self.kinds.get(title.lower().rstrip(":")):
                return kind
        return None

    def sentences(self, blocks: list[Block]) -> list[Sentence]:
        out = []
        for b in blocks:
            for s, e in self.sentencer(b.start, b.end):
                out.append(Sentence(s, e, " ".join(self.masked[s:e].split())))
        return out

    def add(self, passage_id: str, kind: str, blocks: list[Block], *, paragraph=None, label=None,
            text: str | None = None, sentences: list[Sentence] | None = None, section=None) -> Passage:
        if text is None:
            text = "\n".join(("· " if b.kind in ("bullet", "item") else "") + self.clean(b) for b in blocks)
        if passage_id in self._ids:              # a number used twice (a list restarting at 1.)
            k = 2
            while f"{passage_id}-{k}" in self._ids:
                k += 1
            passage_id = f"{passage_id}-{k}"
        self._ids.add(passage_id)
        passage = Passage(
            passage_id=passage_id, document=self.document_id, kind=kind, paragraph=paragraph,
            section=list(section if section is not None else self.section), text=text,
            start_char=blocks[0].start, end_char=blocks[-1].end, source=self.source, label=label,
            after_paragraph=None if paragraph else self.after_paragraph,
            sentences=sentences if sentences is not None else self.sentences(blocks),
        )
        self.passages.append(passage)
        self._markers += [(m, passage_id) for b in blocks for m in b.markers]
        return passage

    def unnumbered_id(self) -> str:
        base = "/".join(slug(s, 32) for s in self.section) or "front"
        self._ordinals[base] = self._ordinals.get(base, 0) + 1
        return f"{self.document_id}/{base}/{self._ordinals[base]}"

    # -- the walk ------------------------------------------------------------------
    def build(self, blocks: list[Block]) -> list[Passage]:
        i = 0
        if blocks and blocks[0].kind == "text":
            i = self.title(blocks)
        footnotes = 0
        while i < len(blocks):
            b = blocks[i]
            if b.kind == "heading":
                self.heading(b)
                i += 1
            elif b.kind == "footnote":
                footnotes += 1
                self.footnote(b, footnotes)
                i += 1
            elif b.kind in ("caption", "cell") and self.path:
                i = TableReader(self, blocks, i).read()
            elif self.section_kind() == "case-study" and len(self.path) >= 3:
                i = self.case_study(blocks, i)
            else:
                i = self.paragraph(blocks, i)
        self.link_footnotes()
        return self.passages

    def title(self, blocks: list[Block]) -> int:
        j = 1
        while j < len(blocks) and blocks[j].kind == "text" and not blocks[j].blank_before:
            j += 1
        self.add(f"{self.document_id}/title", "title", blocks[:j], section=[])
        return j

    def heading(self, b: Block) -> None:
        if is_front_field(self.clean(b)):        # "Lead inspector: …", "Judgement Grade": no section of its own
            self.add(f"{self.document_id}/h/{slug(self.clean(b), 32)}", "heading", [b])
            return
        while self.path and self.path[-1][0] >= b.level:
            self.path.pop()
        self.path.append((b.level, self.clean(b).rstrip(":")))
        pid = f"{self.document_id}/h/" + "/".join(slug(s, 32) for s in self.section)
        self.add(pid, "heading", [b])

    def footnote(self, b: Block, number: int) -> None:
        printed = number
        if not self.export_quirks and (m := re.match(r"\s*(\d{1,4})\s", self.masked[b.start:b.end])):
            printed = int(m.group(1))
        self.add(f"{self.document_id}/footnote-{number}", "footnote", [b], label=f"footnote {printed}",
                 section=["Footnotes"])

    def case_study(self, blocks: list[Block], i: int) -> int:
        j = i
        while j < len(blocks) and blocks[j].kind not in ("heading", "numbered", "footnote", "caption"):
            j += 1
        title = self.section[-1]
        self.add(f"{self.document_id}/case-study/{slug(title)}", "case-study", blocks[i:j],
                 label=f"case study ‘{title}’")
        return j

    def paragraph(self, blocks: list[Block], i: int) -> int:
        lead = blocks[i]
        group, j = [lead], i + 1
        if lead.kind == "quote" and not _QUOTE_CLOSE.search(self.clean(lead)):
            j = self._absorb_open_quote(blocks, group, j)
            if len(group) == 1:
                lead.kind = "text"      # opens with a quoted word (‘Other’ includes ...), not a quote
        # soft line breaks inside a numbered paragraph
        while lead.kind == "numbered" and j < len(blocks) and blocks[j].kind == "text" and not blocks[j].blank_before:
            group.append(blocks[j])
            j += 1
        j, items = self._absorb_list(blocks, group, j)
        kind = self._kind(lead, items)
        if lead.kind == "numbered":
            self.after_paragraph = lead.number
            self.add(f"{self.document_id}/p{lead.number}", kind, group, paragraph=lead.number,
                     label=f"para {lead.number}")
        else:
            self.add(self.unnumbered_id(), kind, group)
        return j

    def _absorb_open_quote(self, blocks: list[Block], group: list[Block], j: int) -> int:
        end = j
        while end < len(blocks) and blocks[end].kind == "text":
            end += 1
            if _QUOTE_CLOSE.search(self.clean(blocks[end - 1])):
                group.extend(blocks[j:end])
                return end
        return j          # never closed: not a multi-paragraph quote after all

    def _absorb_list(self, blocks: list[Block], group: list[Block], j: int) -> tuple[int, int]:
        """Bullets after a lead-in, plus the last item the export left without its bullet."""
        items = 0
        while j < len(blocks) and blocks[j].kind == "bullet":
            group.append(blocks[j])
            j, items = j + 1, items + 1
        lead_in = self.clean(group[-1 - items] if items else group[-1])
        takes_last = self.export_quirks and (items > 0 or bool(_SHOULD.search(lead_in)))
        if takes_last and j < len(blocks) and blocks[j].kind in ("text", "quote") \
                and not self.clean(blocks[j]).endswith(":"):
            blocks[j].kind = "item"
            group.append(blocks[j])
            j, items = j + 1, items + 1
        while items and j < len(blocks) and blocks[j].kind == "text" and self.clean(blocks[j])[:1].islower():
            group.append(blocks[j])      # the sentence goes on after the list ("and the case ...")
            j += 1
        return j, items

    def _kind(self, lead: Block, items: int) -> str:
        if lead.kind == "quote":
            return "quote"
        if kind := self.section_kind():
            return kind
        return "list" if items and lead.kind != "numbered" else "paragraph"

    def link_footnotes(self) -> None:
        """The n-th place where a marker stood cites the n-th footnote (the export keeps order)."""
        notes = [p for p in self.passages if p.kind == "footnote"]
        places = sorted(self._markers)
        by_id = {p.passage_id: p for p in self.passages}
        for note, (_, pid) in zip(notes, places):
            citing = by_id[pid]
            citing.footnotes.append(note.passage_id)
            note.cited_by.append(pid)
