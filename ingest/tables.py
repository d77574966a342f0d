"""Tables as data: each row a passage that reads on its own and points at its own lines.

Two layouts occur in the export: a caption followed by header lines and rows of
"Label n n n" (Table 1), and tab-indented cells one per line, rows separated by blank
lines (Table 4, Annex C).
"""
from __future__ import annotations

import re
from datetime import datetime

from .blocks import Block
from .passage import Sentence, slug

_NUMERIC_ROW = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]*?)\s+(?P<values>\d+(?:\s+\d+)+)$")
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_YEAR_SPAN = re.compile(r"^[A-Z][a-z]+ ((?:19|20)\d\d) [–-] [A-Z][a-z]+ ((?:19|20)\d\d)$")


def _spelled_date(cell: str) -> str:
    """'06/12/2010' -> '06/12/2010 (6 December 2010)', so a date typed in words is found."""
    if m := _DATE.match(cell):
        day = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return f"{cell} ({day.day} {day:%B %Y})"
    return cell


def _short_years(heading: str) -> str:
    """'April 2009 – March 2010' -> 'April 2009 – March 2010 (2009–10)', the way people write a
    financial or evaluation year, so "inadequate in 2009-10" finds its column."""
    if (m := _YEAR_SPAN.match(heading)) and int(m.group(2)) == int(m.group(1)) + 1:
        return f"{heading} ({m.group(1)}–{m.group(2)[2:]})"
    return heading


class TableReader:
    def __init__(self, builder, blocks: list[Block], i: int):
        self.b, self.blocks, self.i = builder, blocks, i
        self.doc = builder.document_id

    def read(self) -> int:
        if self.blocks[self.i].kind == "caption":
            caption_block = self.blocks[self.i]
            caption = self.b.clean(caption_block)
            j = self.i + 1
            if j < len(self.blocks) and self.blocks[j].kind == "cell":
                return self.cell_table(j, caption, [caption_block])
            return self.numeric_table(j, caption, caption_block)
        return self.cell_table(self.i, self.b.section[-1], [])

    def _name(self, caption: str) -> str:
        return caption.split(":")[0].strip()

    def _table(self, caption: str, blocks: list[Block], columns: list[str] | None = None, text: str | None = None):
        table = self.b.add(f"{self.doc}/{slug_name(caption)}", "table", blocks, label=self._name(caption), text=text)
        table.table_id, table.caption, table.columns = table.passage_id, caption, columns
        return table

    def _row(self, table, row_id: str, label: str, values: list[tuple[str, str]], blocks: list[Block],
             row_header: str = ""):
        caption = table.caption
        named = f"{row_header}: {label}" if row_header else label
        text = f"{caption} · {named} · " + "; ".join(f"{h}: {v}" if h else v for h, v in values)
        start, end = blocks[0].start, blocks[-1].end
        row = self.b.add(f"{self.doc}/{slug_name(caption)}/{row_id}", "table-row", blocks, text=text,
                         label=f"{self._name(caption)} · {label}", sentences=[Sentence(start, end, text)])
        row.cells = [[h, v] for h, v in values]
        row.table_id, row.caption, row.row_label = table.passage_id, caption, label

    # -- "Label n n n" rows under header lines ---------------------------------------
    def numeric_table(self, j: int, caption: str, caption_block: Block) -> int:
        header_blocks, k = [], j
        while k < len(self.blocks) and self.blocks[k].kind == "text" and not self._numeric(k):
            header_blocks.append(self.blocks[k])
            k += 1
        if k >= len(self.blocks) or not self._numeric(k) or not header_blocks:
            self._table(caption, [caption_block])
            return j
        headers = [_short_years(h) for h in _merge_headers([self.b.clean(h) for h in header_blocks])]
        table = self._table(caption, [caption_block, *header_blocks], headers,
                            text=f"{caption} · columns: " + " | ".join(headers))
        while k < len(self.blocks) and (m := self._numeric(k)):
            values = m.group("values").split()
            names = headers if len(headers) == len(values) else [""] * len(values)
            label = m.group("label").strip()
            self._row(table, slug_name(label), label, list(zip(names, values)), [self.blocks[k]])
            k += 1
        return k

    def _numeric(self, k: int):
        return _NUMERIC_ROW.match(self.b.clean(self.blocks[k]))

    # -- tab-indented cells --------------------------------------------------------------
    def cell_table(self, j: int, caption: str, lead: list[Block]) -> int:
        rows, k = [], j
        while k < len(self.blocks) and self.blocks[k].kind == "cell":
            row = [self.blocks[k]]
            k += 1
            while k < len(self.blocks) and self.blocks[k].kind == "cell" and not self.blocks[k].blank_before:
                row.append(self.blocks[k])
                k += 1
            rows.append(row)
        header = [self.b.clean(c) for c in rows[0]]
        table = self._table(caption, lead + rows[0], header, text=f"{caption} · columns: " + " | ".join(header))
        category, pending, seen = None, [], set()
        for row in rows[1:]:
            cells = [self.b.clean(c) for c in row]
            if not any(cells):
                continue                                   # an empty separator row
            if len(cells) > 1 and not any(cells[1:]):
                category, pending = cells[0], list(row)    # a category heading row, e.g. "Homicide"
                continue
            label = " › ".join(x for x in (category if cells[0] != "Total" else None, cells[0]) if x)
            values = [(h, _spelled_date(v)) for h, v in zip(header[1:], cells[1:])]
            row_id = _unique(slug_name(label) + "".join(f"-{_date_key(v)}" for v in cells[1:] if _DATE.match(v)), seen)
            self._row(table, row_id, label, values, pending + row, header[0] if len(header) > 2 else "")
            pending = []
        return k


def _date_key(cell: str) -> str:
    d, m, y = cell.split("/")
    return f"{y}-{m}-{d}"


def _unique(key: str, seen: set[str]) -> str:
    n, out = 1, key
    while out in seen:
        n += 1
        out = f"{key}-{n}"
    seen.add(out)
    return out


def _merge_headers(lines: list[str]) -> list[str]:
    """'April 2007 –' + 'March 2008' -> 'April 2007 – March 2008'."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].endswith(("–", "-")):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def slug_name(text: str) -> str:
    return slug(text.split(":")[0] if text.lower().startswith(("table", "annex")) else text)
